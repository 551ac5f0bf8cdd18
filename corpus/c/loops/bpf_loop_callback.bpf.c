// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_loop (kernel >= 5.17): the verifier checks the callback once instead of
// unrolling; the callback context is a pointer to a stack struct.
// bpfvet-expect(bpf_loop_checksum): accept
#include "bpfvet.h"

struct loop_ctx {
	__u32 acc;
	__u32 seed;
};

static int mix_step(__u32 index, void *data)
{
	struct loop_ctx *lc = data;

	lc->acc = (lc->acc * 31) ^ (lc->seed + index);
	if (lc->acc == 0xdeadbeef)
		return 1; /* stop early */
	return 0;
}

__u32 loop_out;

SEC("xdp")
int bpf_loop_checksum(struct xdp_md *ctx)
{
	struct loop_ctx lc = { .acc = 1, .seed = ctx->rx_queue_index };
	long n;

	n = bpf_loop(1000, mix_step, &lc, 0);
	if (n < 0)
		return XDP_ABORTED;
	loop_out = lc.acc;
	return XDP_PASS;
}

BV_DUAL;
