// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_get_current_pid_tgid from XDP. Older kernels refused it for XDP; on the
// confirming kernel it is part of the base helper set for every program type
// (the value is whatever task the softirq interrupted).
// bpfvet-expect(xdp_wants_pid): accept
#include "bpfvet.h"

__u64 seen_pid;

SEC("xdp")
int xdp_wants_pid(struct xdp_md *ctx)
{
	seen_pid = bpf_get_current_pid_tgid();
	return XDP_PASS;
}

BV_DUAL;
