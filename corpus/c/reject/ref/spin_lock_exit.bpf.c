// SPDX-License-Identifier: MIT OR Apache-2.0
// Returning while a bpf_spin_lock is held (early exit inside the critical
// section).
// bpfvet-expect(exit_holding_lock): reject "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region"
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
int exit_holding_lock(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct locked *l = bpf_map_lookup_elem(&lk, &zero);

	if (!l)
		return 0;
	bpf_spin_lock(&l->lock);
	if (l->val > 100)
		return 2;          /* lock still held */
	l->val++;
	bpf_spin_unlock(&l->lock);
	return 0;
}

BV_GPL;
