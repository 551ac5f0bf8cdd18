// SPDX-License-Identifier: MIT OR Apache-2.0
// BTF-typed raw tracepoint (tp_btf) on sched_wakeup: direct typed access to
// the task argument without probe reads.
// bpfvet-expect(tp_btf_wakeup): accept
#include "bpfvet.h"
#include "bpfvet_core.h"
#include "bpfvet_tracing.h"

__u64 wakeups_of_pid1;

SEC("tp_btf/sched_wakeup")
int BPF_PROG(tp_btf_wakeup, struct task_struct *p)
{
	if (p->pid == 1)
		__sync_fetch_and_add(&wakeups_of_pid1, 1);
	return 0;
}

BV_GPL;
