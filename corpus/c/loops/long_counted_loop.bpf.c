// SPDX-License-Identifier: MIT OR Apache-2.0
// A counted loop of 75,000 iterations that the verifier can only prove by
// walking every iteration: each one has a different counter value, so no
// state prunes another. The kernel accepts it, but it processes well over
// half of its 1M-instruction budget: a few more iterations, or one more
// branch in the body, and the same source is rejected as too complex.
// bpfvet-expect(xdp_long_counted_loop): accept
#include "bpfvet.h"

SEC("xdp")
int xdp_long_counted_loop(struct xdp_md *ctx)
{
	__u32 h = ctx->data_end - ctx->data;
	__u32 i;

#pragma clang loop unroll(disable)
	for (i = 0; i < 75000; i++)
		h = (h ^ i) * 31;
	return h & 1 ? XDP_PASS : XDP_DROP;
}

BV_DUAL;
