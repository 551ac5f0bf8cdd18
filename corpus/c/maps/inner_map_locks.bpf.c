// SPDX-License-Identifier: MIT OR Apache-2.0
// Spin locks in the values of an inner map (a map-in-map): each value looked up
// carries its own lock, as in an ordinary map. The kernel refuses an unlock
// through another value of the same inner map, and a plain load of the lock.
// bpfvet-expect(inner_lock_same_value): accept
// bpfvet-expect(inner_lock_other_value): reject "bpf_spin_unlock of different lock"
// bpfvet-expect(inner_lock_read_directly): reject "bpf_spin_lock cannot be accessed directly by load/store"
#include "bpfvet.h"

struct locked {
	struct bpf_spin_lock lock;
	int data;
};

struct inner {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, int);
	__type(value, struct locked);
} inner SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, int);
	__array(values, struct inner);
} outer SEC(".maps") = {
	.values = { [0] = &inner },
};

SEC("tc")
int inner_lock_same_value(struct __sk_buff *skb)
{
	int key = 0;
	struct locked *v;
	void *m;

	m = bpf_map_lookup_elem(&outer, &key);
	if (!m)
		return 0;
	v = bpf_map_lookup_elem(m, &key);
	if (!v)
		return 0;
	bpf_spin_lock(&v->lock);
	v->data++;
	bpf_spin_unlock(&v->lock);
	return 0;
}

SEC("tc")
int inner_lock_other_value(struct __sk_buff *skb)
{
	int key = 0;
	struct locked *a, *b;
	void *m;

	m = bpf_map_lookup_elem(&outer, &key);
	if (!m)
		return 0;
	a = bpf_map_lookup_elem(m, &key);
	if (!a)
		return 0;
	b = bpf_map_lookup_elem(m, &key);
	if (!b)
		return 0;
	bpf_spin_lock(&a->lock);
	a->data++;
	bpf_spin_unlock(&b->lock);
	return 0;
}

SEC("tc")
int inner_lock_read_directly(struct __sk_buff *skb)
{
	int key = 0;
	struct locked *v;
	void *m;

	m = bpf_map_lookup_elem(&outer, &key);
	if (!m)
		return 0;
	v = bpf_map_lookup_elem(m, &key);
	if (!v)
		return 0;
	return *(volatile int *)&v->lock;
}

BV_GPL;
