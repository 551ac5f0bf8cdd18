// SPDX-License-Identifier: MIT OR Apache-2.0
// A conntrack refresh that trusts the entry to exist: after a lookup in the
// LRU hash the code bumps the lifetime without testing the pointer (it was
// "just created" by the SYN path, but LRU maps may evict at any time).
// Written for bpfvet.
// bpfvet-expect(ct_refresh_lifetime): reject "R6 invalid mem access 'map_value_or_null'"
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>

struct ct_key {
	__be32 saddr, daddr;
	__be16 sport, dport;
	__u32 proto;
};

struct ct_val {
	__u64 lifetime;
	__u64 packets;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ct_key);
	__type(value, struct ct_val);
} ct_map SEC(".maps");

SEC("tc")
int ct_refresh_lifetime(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip4 = data + ETH_HLEN;
	struct tcphdr *th = data + ETH_HLEN + sizeof(*ip4);
	struct ct_key key = {};
	struct ct_val *ct;

	if ((void *)(th + 1) > data_end || ip4->protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	key.saddr = ip4->saddr;
	key.daddr = ip4->daddr;
	key.sport = th->source;
	key.dport = th->dest;
	key.proto = IPPROTO_TCP;

	if (th->syn) {
		struct ct_val v = { .lifetime = bpf_ktime_get_ns(), .packets = 0 };

		bpf_map_update_elem(&ct_map, &key, &v, BPF_NOEXIST);
	}
	ct = bpf_map_lookup_elem(&ct_map, &key);
	ct->lifetime = bpf_ktime_get_ns() + 60ULL * 1000000000ULL;
	ct->packets++;
	return TC_ACT_OK;
}

char __license[] SEC("license") = "Dual BSD/GPL";
