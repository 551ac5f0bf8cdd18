// SPDX-License-Identifier: MIT OR Apache-2.0
// Calling a helper (bpf_ktime_get_ns) inside a bpf_spin_lock critical section.
// bpfvet-expect(helper_inside_lock): reject "function calls are not allowed while holding a lock"
#include "bpfvet.h"

struct locked {
	struct bpf_spin_lock lock;
	__u64 stamp;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct locked);
} lk SEC(".maps");

SEC("tc")
int helper_inside_lock(struct __sk_buff *skb)
{
	__u32 zero = 0;
	struct locked *l = bpf_map_lookup_elem(&lk, &zero);

	if (!l)
		return 0;
	bpf_spin_lock(&l->lock);
	l->stamp = bpf_ktime_get_ns();
	bpf_spin_unlock(&l->lock);
	return 0;
}

BV_GPL;
