// SPDX-License-Identifier: MIT OR Apache-2.0
// A BPF iterator over tasks (bpf_iter__task context, bpf_seq_printf).
// bpfvet-expect(iter_dump_tasks): accept
#include "bpfvet.h"
#include "bpfvet_core.h"

struct seq_file;
struct bpf_iter_meta {
	struct seq_file *seq;
} BV_CORE;

struct bpf_iter__task {
	struct bpf_iter_meta *meta;
	struct task_struct *task;
} BV_CORE;

SEC("iter/task")
int iter_dump_tasks(struct bpf_iter__task *ctx)
{
	struct seq_file *seq = ctx->meta->seq;
	struct task_struct *task = ctx->task;
	static const char fmt[] = "%d %s\n";
	__u64 args[2];

	if (!task)
		return 0;
	args[0] = task->pid;
	args[1] = (__u64)(long)task->comm;
	bpf_seq_printf(seq, fmt, sizeof(fmt), args, sizeof(args));
	return 0;
}

BV_GPL;
