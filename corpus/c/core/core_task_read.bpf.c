// SPDX-License-Identifier: MIT OR Apache-2.0
// CO-RE reads of the current task: BPF_CORE_READ chains through real_parent
// and mm, BPF_CORE_READ_INTO / _STR_INTO for arrays, all against the small
// preserve_access_index declarations in bpfvet_core.h (no vmlinux.h).
// bpfvet-expect(core_task_info): accept
#include "bpfvet.h"
#include "bpfvet_core.h"
#include <bpf/bpf_core_read.h>

struct task_info {
	__s32 pid;
	__s32 tgid;
	__s32 ppid;
	__u32 uid;
	__u64 arg_len;
	char comm[16];
	char parent_comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} task_infos SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int core_task_info(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_info *ti;

	ti = bpf_ringbuf_reserve(&task_infos, sizeof(*ti), 0);
	if (!ti)
		return 0;
	ti->pid = BPF_CORE_READ(task, pid);
	ti->tgid = BPF_CORE_READ(task, tgid);
	ti->ppid = BPF_CORE_READ(task, real_parent, tgid);
	ti->uid = BPF_CORE_READ(task, cred, uid.val);
	ti->arg_len = BPF_CORE_READ(task, mm, arg_end) - BPF_CORE_READ(task, mm, arg_start);
	BPF_CORE_READ_INTO(&ti->comm, task, comm);
	BPF_CORE_READ_STR_INTO(&ti->parent_comm, task, real_parent, comm);
	bpf_ringbuf_submit(ti, 0);
	return 0;
}

BV_GPL;
