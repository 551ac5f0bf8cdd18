// SPDX-License-Identifier: MIT OR Apache-2.0
// Global functions are verified against their BTF signature alone: a pointer
// argument may be NULL, so dereferencing it without a check is refused when
// the function itself is verified.
// bpfvet-expect(calls_global_deref): reject "R1 invalid mem access 'mem_or_null'"
#include "bpfvet.h"

__noinline int read_first(__u32 *p)
{
	return *p + 1;
}

SEC("xdp")
int calls_global_deref(struct xdp_md *ctx)
{
	__u32 v = ctx->rx_queue_index;

	return read_first(&v) > 0 ? XDP_PASS : XDP_DROP;
}

BV_DUAL;
