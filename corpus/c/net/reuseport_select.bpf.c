// SPDX-License-Identifier: MIT OR Apache-2.0
// SO_REUSEPORT socket selection: spread connections across the sockets of a
// REUSEPORT_SOCKARRAY by the kernel-computed hash, with a fallback.
// bpfvet-expect(reuseport_pick): accept
#include "bpfvet.h"

#define NUM_WORKERS 8

struct {
	__uint(type, BPF_MAP_TYPE_REUSEPORT_SOCKARRAY);
	__uint(max_entries, NUM_WORKERS);
	__type(key, __u32);
	__type(value, __u64);
} workers SEC(".maps");

SEC("sk_reuseport")
int reuseport_pick(struct sk_reuseport_md *reuse)
{
	__u32 idx = reuse->hash % NUM_WORKERS;

	if (bpf_sk_select_reuseport(reuse, &workers, &idx, 0) == 0)
		return SK_PASS;
	idx = 0;
	bpf_sk_select_reuseport(reuse, &workers, &idx, 0);
	return SK_PASS;
}

BV_DUAL;
