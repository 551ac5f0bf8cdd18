// SPDX-License-Identifier: MIT OR Apache-2.0
// Refused at map-create: an array map with max_entries 0. Rebuild like oracle_cases.bpf.c.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 0);
	__type(key, int);
	__type(value, long);
} badmap SEC(".maps");

SEC("socket")
int uses_badmap(struct __sk_buff *skb)
{
	int k = 0;
	long *v = bpf_map_lookup_elem(&badmap, &k);
	return v ? *v : 0;
}

char LICENSE[] SEC("license") = "GPL";
