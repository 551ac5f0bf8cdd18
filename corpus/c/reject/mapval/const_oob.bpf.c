// SPDX-License-Identifier: MIT OR Apache-2.0
// Reading one u64 past the end of an 8-byte array-map value (constant offset).
// bpfvet-expect(read_past_value): reject "invalid access to map value, value_size=8 off=8 size=8"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} small_vals SEC(".maps");

SEC("xdp")
int read_past_value(struct xdp_md *ctx)
{
	__u32 key = 1;
	__u64 *v = bpf_map_lookup_elem(&small_vals, &key);

	if (!v)
		return XDP_PASS;
	return v[1] ? XDP_DROP : XDP_PASS;
}

BV_DUAL;
