// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_spin_lock must be given the value's own struct bpf_spin_lock, which the kernel finds in
// the map's BTF: a pointer to another field of the value, or into a value that holds no lock,
// is refused at the call.
// bpfvet-expect(lock_beside_the_lock): reject "off 0 doesn't point to 'struct bpf_spin_lock' that is at 8"
// bpfvet-expect(lock_without_a_lock): reject "map 'counters' has no valid bpf_spin_lock"
#include "bpfvet.h"

struct locked {
	__u64 hits;
	struct bpf_spin_lock lock;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct locked);
} locked_vals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

SEC("tc")
int lock_beside_the_lock(struct __sk_buff *skb)
{
	__u32 key = skb->mark;
	struct locked *v = bpf_map_lookup_elem(&locked_vals, &key);

	if (!v)
		return 0;
	bpf_spin_lock((struct bpf_spin_lock *)&v->hits);
	v->hits++;
	bpf_spin_unlock((struct bpf_spin_lock *)&v->hits);
	return 0;
}

SEC("tc")
int lock_without_a_lock(struct __sk_buff *skb)
{
	__u32 key = skb->mark;
	__u64 *v = bpf_map_lookup_elem(&counters, &key);

	if (!v)
		return 0;
	bpf_spin_lock((struct bpf_spin_lock *)v);
	*v += 1;
	bpf_spin_unlock((struct bpf_spin_lock *)v);
	return 0;
}

BV_GPL;
