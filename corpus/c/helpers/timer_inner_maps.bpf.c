// SPDX-License-Identifier: MIT OR Apache-2.0
// Timers in the values of inner maps of a map of maps: each lookup of the
// outer map is its own inner map to the verifier (the kernel's map_uid, the
// lookup's NULL-check id), and bpf_timer_init must be given the inner map the
// timer's value came from. Initialising with the same lookup loads; with a
// second lookup of the outer map (maybe another inner map at run time) the
// kernel refuses it. Measured on the live 6.18.44.
// bpfvet-expect(timer_init_same_inner): accept
// bpfvet-expect(timer_init_other_inner): reject "timer pointer in R1 map_uid=1 doesn't match map pointer in R2 map_uid=2"
#include "bpfvet.h"

#define CLOCK_MONOTONIC 1

struct elem {
	int pad;
	struct bpf_timer timer;
};

struct inner_map {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, int);
	__type(value, struct elem);
} inner_timers SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
	__array(values, struct inner_map);
} outer SEC(".maps") = {
	.values = { [0] = &inner_timers },
};

SEC("tc")
int timer_init_same_inner(struct __sk_buff *skb)
{
	int zero = 0, key = 7;
	struct elem *e;
	void *inner;

	inner = bpf_map_lookup_elem(&outer, &zero);
	if (!inner)
		return 0;
	e = bpf_map_lookup_elem(inner, &key);
	if (!e)
		return 0;
	bpf_timer_init(&e->timer, inner, CLOCK_MONOTONIC);
	return 0;
}

SEC("tc")
int timer_init_other_inner(struct __sk_buff *skb)
{
	int zero = 0, one = 1, key = 7;
	struct elem *e;
	void *first, *second;

	first = bpf_map_lookup_elem(&outer, &zero);
	if (!first)
		return 0;
	second = bpf_map_lookup_elem(&outer, &one);
	if (!second)
		return 0;
	e = bpf_map_lookup_elem(first, &key);
	if (!e)
		return 0;
	bpf_timer_init(&e->timer, second, CLOCK_MONOTONIC);
	return 0;
}

BV_GPL;
