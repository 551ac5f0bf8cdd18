// SPDX-License-Identifier: MIT OR Apache-2.0
// A helper the program type does not offer: bpf_ktime_get_coarse_ns is not
// in the tracepoint helper set (a realistic mistake when porting tc code).
// bpfvet-expect(tp_coarse_clock): reject "program of this type cannot use helper bpf_ktime_get_coarse_ns#160"
#include "bpfvet.h"

__u64 last_ts;

SEC("tracepoint/syscalls/sys_enter_getpid")
int tp_coarse_clock(void *ctx)
{
	last_ts = bpf_ktime_get_coarse_ns();
	return 0;
}

BV_GPL;
