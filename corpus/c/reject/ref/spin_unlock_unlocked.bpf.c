// SPDX-License-Identifier: MIT OR Apache-2.0
// Unlocking a bpf_spin_lock that was never taken.
// bpfvet-expect(unlock_without_lock): reject "bpf_spin_unlock without taking a lock"
#include "bpfvet.h"

struct locked {
	struct bpf_spin_lock lock;
	__u64 val;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} lk SEC(".maps");

SEC("tc")
int unlock_without_lock(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct locked *l = bpf_map_lookup_elem(&lk, &zero);

	if (!l)
		return 0;
	l->val++;
	bpf_spin_unlock(&l->lock);
	return 0;
}

BV_GPL;
