// SPDX-License-Identifier: MIT OR Apache-2.0
// Reserve 8 bytes of XDP metadata in front of the frame and stamp it with a
// receive timestamp and a mark for a later tc program.
// bpfvet-expect(xdp_stamp_meta): accept
#include "bpfvet.h"

struct meta {
	__u32 mark;
	__u32 rx_ts_lo;
};

SEC("xdp")
int xdp_stamp_meta(struct xdp_md *ctx)
{
	struct meta *m;
	void *data;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > data)
		return XDP_PASS;
	m->mark = 0x42;
	m->rx_ts_lo = (__u32)bpf_ktime_get_ns();
	return XDP_PASS;
}

BV_DUAL;
