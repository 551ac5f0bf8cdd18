// SPDX-License-Identifier: MIT OR Apache-2.0
// Indexing a map-value array with a 32-bit value straight from the raw
// tracepoint arguments: no bounds check at all on the index.
// bpfvet-expect(index_unbounded): reject "R0 unbounded memory access, make sure to bounds check any such access"
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
int index_unbounded(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct slots *s = bpf_map_lookup_elem(&slot_map, &zero);
	__u32 idx = (__u32)ctx->args[1];

	if (!s)
		return 0;
	s->slot[idx] += 1;
	return 0;
}

BV_GPL;
