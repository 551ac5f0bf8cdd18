// SPDX-License-Identifier: MIT OR Apache-2.0
// CO-RE relocation kinds beyond plain offsets: field existence, field size,
// type existence/size and enum value existence, resolved by the loader.
// A field that does not exist in the running kernel is guarded by
// bpf_core_field_exists so the read is dead code there.
// bpfvet-expect(core_relo_kinds): accept
#include "bpfvet.h"
#include "bpfvet_core.h"
#include <bpf/bpf_core_read.h>

/* A flavour of task_struct with a field that never existed. */
struct task_struct___fake {
	int no_such_field_bpfvet;
	int pid;
} BV_CORE;

__u64 relo_out[6];

SEC("raw_tracepoint/sys_enter")
int core_relo_kinds(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct___fake *fake = (void *)task;

	relo_out[0] = bpf_core_field_exists(task->exit_code);
	relo_out[1] = bpf_core_field_size(task->comm);
	relo_out[2] = bpf_core_type_exists(struct sock_common);
	relo_out[3] = bpf_core_type_size(struct task_struct);
	if (bpf_core_field_exists(fake->no_such_field_bpfvet))
		relo_out[4] = BPF_CORE_READ(fake, no_such_field_bpfvet);
	relo_out[5] = BPF_CORE_READ(fake, pid);
	return 0;
}

BV_GPL;
