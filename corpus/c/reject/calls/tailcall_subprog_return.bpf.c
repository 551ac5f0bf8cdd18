// SPDX-License-Identifier: MIT OR Apache-2.0
// A subprogram that tail-calls returns `ctx->rx_queue_index & 1` when the
// tail call fails, and its caller indexes a 2-byte map value with the result.
// When the tail call succeeds the subprogram returns the target program's r0
// instead, any number: the kernel follows that path too (r0 unknown in the
// caller) and rejects the index.
// bpfvet-expect(subprog_ret_entry): reject "unbounded memory access, make sure to bounds check any such access"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} ret_slots SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u16);
} two_bytes SEC(".maps");

static __noinline int pick(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, &ret_slots, 0);
	return ctx->rx_queue_index & 1;
}

SEC("xdp")
int subprog_ret_entry(struct xdp_md *ctx)
{
	__u32 k = 0;
	__u8 *v = bpf_map_lookup_elem(&two_bytes, &k);

	if (!v)
		return XDP_PASS;
	return v[pick(ctx)];
}

BV_DUAL;
