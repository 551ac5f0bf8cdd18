// SPDX-License-Identifier: MIT OR Apache-2.0
// An off-by-one-class bug: the index is masked to 0..31 but the value holds
// 16 slots, so the largest possible offset lies outside the value.
// bpfvet-expect(index_mask_too_wide): reject "invalid access to map value, value_size=128 off=248 size=8"
#include "bpfvet.h"

struct slots {
	__u64 slot[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slots);
} slot_map SEC(".maps");

SEC("raw_tracepoint/sys_enter")
int index_mask_too_wide(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct slots *s = bpf_map_lookup_elem(&slot_map, &zero);
	__u32 idx = ctx->args[1] & 31;

	if (!s)
		return 0;
	s->slot[idx] += 1;
	return 0;
}

BV_GPL;
