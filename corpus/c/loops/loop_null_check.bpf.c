// SPDX-License-Identifier: MIT OR Apache-2.0
// A 256-iteration counted loop with a map lookup and its NULL check inside.
// The verifier walks the iterations on the non-NULL path first, leaving one
// NULL branch pending per iteration; each is pruned against the state saved
// at the same iteration once that iteration's exploration is complete. A
// verifier that keeps too few of those in-progress states per instruction
// re-explores the rest of the loop from every NULL branch and runs out of
// budget (bpfvet did, past 64 iterations).
// bpfvet-expect(xdp_loop_null_check): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} loop_counts SEC(".maps");

SEC("xdp")
int xdp_loop_null_check(struct xdp_md *ctx)
{
	__u32 i;

#pragma clang loop unroll(disable)
	for (i = 0; i < 256; i++) {
		__u32 k = i & 15;
		__u64 *v = bpf_map_lookup_elem(&loop_counts, &k);

		if (v)
			*v += 1;
	}
	return XDP_PASS;
}

BV_DUAL;
