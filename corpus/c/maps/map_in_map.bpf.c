// SPDX-License-Identifier: MIT OR Apache-2.0
// Maps of maps: an ARRAY_OF_MAPS holding per-tenant hash maps and a
// HASH_OF_MAPS keyed by ifindex; inner maps declared with __array(values).
// bpfvet-expect(map_in_map_lookup): accept
#include "bpfvet.h"

struct inner {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u64);
};

struct inner tenant0 SEC(".maps");
struct inner tenant1 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, 4);
	__type(key, __u32);
	__array(values, struct inner);
} tenants SEC(".maps") = {
	.values = { &tenant0, &tenant1 },
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH_OF_MAPS);
	__uint(max_entries, 16);
	__type(key, __u32);
	__array(values, struct inner);
} per_dev SEC(".maps");

SEC("tc")
int map_in_map_lookup(struct __sk_buff *skb)
{
	__u32 tenant = skb->mark & 3, ifindex = skb->ifindex, key = skb->priority;
	__u64 one = 1, *v;
	void *inner;

	inner = bpf_map_lookup_elem(&tenants, &tenant);
	if (inner) {
		v = bpf_map_lookup_elem(inner, &key);
		if (v)
			__sync_fetch_and_add(v, 1);
		else
			bpf_map_update_elem(inner, &key, &one, BPF_NOEXIST);
	}
	inner = bpf_map_lookup_elem(&per_dev, &ifindex);
	if (inner)
		bpf_map_delete_elem(inner, &key);
	return 0;
}

BV_DUAL;
