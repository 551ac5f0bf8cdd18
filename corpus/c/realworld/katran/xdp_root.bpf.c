// SPDX-License-Identifier: MIT OR Apache-2.0
// Katran-style XDP root program: a chain of up to 3 programs registered in a
// prog array is tried in order with bpf_tail_call; when none is installed the
// packet passes. Bounded loop over the slots (clang unrolls it).
// Written for bpfvet.
// bpfvet-expect(xdp_root): accept
#include "bpfvet.h"

#define ROOT_ARRAY_SIZE 3

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, ROOT_ARRAY_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} root_array SEC(".maps");

SEC("xdp")
int xdp_root(struct xdp_md *ctx)
{
	__u32 i;

#pragma clang loop unroll(full)
	for (i = 0; i < ROOT_ARRAY_SIZE; i++)
		bpf_tail_call(ctx, &root_array, i);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
