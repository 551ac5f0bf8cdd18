// SPDX-License-Identifier: MIT OR Apache-2.0
// A chain of XDP programs through a PROG_ARRAY, for checking tail-call semantics
// by execution (runtime/tests/tail_calls.rs has the same chain in assembly;
// tests/tail_calls_kernel.rs runs this one in the kernel with the slots filled
// as 0 -> stage1, 1 -> stage2, 2 -> stage2). The entry tail-calls from a
// subprogram: the target's return value comes back to the entry, which stores
// it in the packet. Each stage leaves a byte in the packet.
// bpfvet-expect(xdp_chain_entry): accept
// bpfvet-expect(xdp_chain_stage1): accept
// bpfvet-expect(xdp_chain_stage2): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} chain_slots SEC(".maps");

static __noinline int hop(struct xdp_md *ctx, __u32 slot)
{
	bpf_tail_call(ctx, &chain_slots, slot);
	/* The slot is empty. Not a constant: clang would fold a constant return into the
	 * caller, which then never sees the tail-called program's result. */
	return ctx->rx_queue_index | 1;
}

SEC("xdp")
int xdp_chain_entry(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;
	int got;

	if ((void *)(p + 8) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	p[0] = 0xa1;
	got = hop(ctx, p[3] & 3);
	/* The tail call may have moved the packet: look again. */
	p = (void *)(long)ctx->data;
	if ((void *)(p + 8) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	p[4] = got;
	return XDP_PASS;
}

SEC("xdp")
int xdp_chain_stage1(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;

	if ((void *)(p + 8) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	p[1] = p[0] + 1;
	bpf_tail_call(ctx, &chain_slots, 2);
	return 9;
}

SEC("xdp")
int xdp_chain_stage2(struct xdp_md *ctx)
{
	__u8 *p = (void *)(long)ctx->data;

	if ((void *)(p + 8) > (void *)(long)ctx->data_end)
		return XDP_ABORTED;
	p[2] = 0x5a;
	return 20;
}

BV_DUAL;
