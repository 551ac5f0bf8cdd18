// SPDX-License-Identifier: MIT OR Apache-2.0
// Tail call misuse: bpf_tail_call given an ARRAY map instead of a PROG_ARRAY.
// bpfvet-expect(tail_call_into_array): reject "expected prog array map for tail call"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u32);
} not_progs SEC(".maps");

SEC("xdp")
int tail_call_into_array(struct xdp_md *ctx)
{
	bpf_tail_call(ctx, (void *)&not_progs, 0);
	return XDP_PASS;
}

BV_DUAL;
