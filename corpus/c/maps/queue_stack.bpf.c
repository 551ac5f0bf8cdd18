// SPDX-License-Identifier: MIT OR Apache-2.0
// QUEUE and STACK maps (no keys): push timestamps of interesting packets,
// peek and pop from the other end.
// bpfvet-expect(queue_push_pop): accept
// bpfvet-expect(stack_push_peek): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_QUEUE);
	__uint(max_entries, 256);
	__type(value, __u64);
} ts_queue SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK);
	__uint(max_entries, 64);
	__type(value, __u32);
} len_stack SEC(".maps");

SEC("tc")
int queue_push_pop(struct __sk_buff *skb)
{
	__u64 ts = bpf_ktime_get_ns(), old;

	if (bpf_map_push_elem(&ts_queue, &ts, BPF_EXIST))
		return 0;
	if (skb->len > 1000 && bpf_map_pop_elem(&ts_queue, &old) == 0 && ts - old < 1000)
		return 2; /* TC_ACT_SHOT */
	return 0;
}

SEC("xdp")
int stack_push_peek(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data, top;

	if (bpf_map_peek_elem(&len_stack, &top) == 0 && top == len)
		return XDP_PASS;
	bpf_map_push_elem(&len_stack, &len, 0);
	return XDP_PASS;
}

BV_DUAL;
