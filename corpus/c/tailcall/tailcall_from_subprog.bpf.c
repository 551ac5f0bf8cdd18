// SPDX-License-Identifier: MIT OR Apache-2.0
// A tail call issued from inside a BPF-to-BPF subprogram (allowed on x86-64
// JIT since 5.10 when the combined stack stays <= 256 bytes), index taken
// from a runtime value.
// bpfvet-expect(xdp_tail_entry): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 8);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} xdp_progs SEC(".maps");

static __noinline int jump_to(struct xdp_md *ctx, __u32 idx)
{
	bpf_tail_call(ctx, &xdp_progs, idx & 7);
	return XDP_PASS;
}

SEC("xdp")
int xdp_tail_entry(struct xdp_md *ctx)
{
	return jump_to(ctx, ctx->rx_queue_index);
}

BV_DUAL;
