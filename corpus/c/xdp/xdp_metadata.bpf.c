// SPDX-License-Identifier: MIT OR Apache-2.0
// Reserve 8 bytes of XDP metadata in front of the frame and stamp it with a
// receive timestamp and a mark for a later tc program; and, with no clock, copy the
// ethertype and frame length into the metadata (a test run returns it with the packet).
// bpfvet-expect(xdp_stamp_meta): accept
// bpfvet-expect(xdp_meta_from_frame): accept
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

SEC("xdp")
int xdp_meta_from_frame(struct xdp_md *ctx)
{
	struct meta *m;
	__u8 *data;
	void *data_end;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(*m)))
		return XDP_PASS;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)data || data + 14 > (__u8 *)data_end)
		return XDP_PASS;
	m->mark = (__u32)data[12] << 8 | data[13];
	m->rx_ts_lo = (__u32)((long)data_end - (long)data);
	return XDP_PASS;
}

BV_DUAL;
