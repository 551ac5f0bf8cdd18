// SPDX-License-Identifier: MIT OR Apache-2.0
// Reading the bpf_spin_lock word of a map value directly instead of through
// the lock helpers.
// bpfvet-expect(peek_at_lock_word): reject "bpf_spin_lock cannot be accessed directly by load/store"
#include "bpfvet.h"

struct locked {
	struct bpf_spin_lock lock;
	__u32 val;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} lk SEC(".maps");

SEC("tc")
int peek_at_lock_word(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct locked *l = bpf_map_lookup_elem(&lk, &zero);

	if (!l)
		return 0;
	return *(volatile __u32 *)&l->lock ? 1 : 0;
}

BV_GPL;
