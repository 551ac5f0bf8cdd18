// SPDX-License-Identifier: MIT OR Apache-2.0
// static __noinline functions live in .text and are called (BPF-to-BPF calls)
// from three programs of two types; one subprogram calls another, and one
// takes a pointer to the caller's stack.
// bpfvet-expect(sub_xdp_entry): accept
// bpfvet-expect(sub_tc_entry): accept
// bpfvet-expect(sub_tc_entry2): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} sub_counts SEC(".maps");

static __noinline __u32 fold_hash(__u32 a, __u32 b)
{
	__u32 h = a * 0x85ebca6b ^ b;

	return h ^ (h >> 13);
}

static __noinline int bump(__u32 slot, __u64 by)
{
	__u32 key = fold_hash(slot, 0x1234) & 63;
	__u64 *v = bpf_map_lookup_elem(&sub_counts, &key);

	if (!v)
		return -1;
	__sync_fetch_and_add(v, by);
	return 0;
}

static __noinline void fill_pair(__u32 *out, __u32 x)
{
	out[0] = x;
	out[1] = fold_hash(x, x);
}

SEC("xdp")
int sub_xdp_entry(struct xdp_md *ctx)
{
	__u32 pair[2];

	fill_pair(pair, ctx->rx_queue_index);
	return bump(pair[1], 1) ? XDP_ABORTED : XDP_PASS;
}

SEC("tc")
int sub_tc_entry(struct __sk_buff *skb)
{
	bump(skb->ifindex, skb->len);
	return 0;
}

SEC("tc")
int sub_tc_entry2(struct __sk_buff *skb)
{
	__u32 pair[2];

	fill_pair(pair, skb->mark);
	bump(pair[0] + pair[1], 1);
	return 0;
}

BV_DUAL;
