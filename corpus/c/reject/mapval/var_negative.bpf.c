// SPDX-License-Identifier: MIT OR Apache-2.0
// A signed index checked only against the upper bound: negative values pass
// the check and would index before the start of the map value.
// bpfvet-expect(index_signed_no_lower): reject "math between map_value pointer and register with unbounded min value is not allowed"
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
int index_signed_no_lower(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct slots *s = bpf_map_lookup_elem(&slot_map, &zero);
	long idx = (long)ctx->args[1];

	if (!s || idx >= 16)
		return 0;
	s->slot[idx] += 1;
	return 0;
}

BV_GPL;
