// SPDX-License-Identifier: MIT OR Apache-2.0
// Bounded loops the verifier walks (kernel >= 5.3): a plain counted for-loop
// over a map value, a while-loop with a data-dependent exit and a constant
// bound, and nested loops.
// bpfvet-expect(loop_sum_array): accept
// bpfvet-expect(loop_while_bits): accept
// bpfvet-expect(loop_nested): accept
#include "bpfvet.h"

struct blob {
	__u32 vals[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct blob);
} blobs SEC(".maps");

__u64 result;

SEC("raw_tracepoint/sys_enter")
int loop_sum_array(void *ctx)
{
	__u32 zero = 0;
	struct blob *b = bpf_map_lookup_elem(&blobs, &zero);
	__u64 sum = 0;

	if (!b)
		return 0;
	for (int i = 0; i < 32; i++)
		sum += b->vals[i];
	result = sum;
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int loop_while_bits(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 v = ctx->args[1];
	__u32 bits = 0, guard = 0;

	while (v && guard < 64) {
		bits += v & 1;
		v >>= 1;
		guard++;
	}
	result = bits;
	return 0;
}

SEC("raw_tracepoint/sched_switch")
int loop_nested(void *ctx)
{
	__u32 zero = 0;
	struct blob *b = bpf_map_lookup_elem(&blobs, &zero);
	__u32 acc = 0;

	if (!b)
		return 0;
	for (int i = 0; i < 16; i++)
		for (int j = 0; j < 4; j++)
			acc ^= b->vals[(i * 4 + j) & 31] << j;
	result = acc;
	return 0;
}

BV_GPL;
