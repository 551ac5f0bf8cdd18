// SPDX-License-Identifier: MIT OR Apache-2.0
// Dereferencing the result of a HASH map lookup without checking for NULL.
// (Array lookups with a constant in-range key are known non-NULL on recent
// kernels, so a hash map is used.)
// bpfvet-expect(deref_maybe_null): reject "R0 invalid mem access 'map_value_or_null'"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
} hits SEC(".maps");

SEC("xdp")
int deref_maybe_null(struct xdp_md *ctx)
{
	__u32 key = ctx->ingress_ifindex;
	__u64 *v = bpf_map_lookup_elem(&hits, &key);

	*v += 1;
	return XDP_PASS;
}

BV_DUAL;
