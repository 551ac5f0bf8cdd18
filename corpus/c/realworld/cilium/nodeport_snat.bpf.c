// SPDX-License-Identifier: MIT OR Apache-2.0
// Cilium-style node-port SNAT on tc egress: look up (or allocate) a SNAT
// mapping in an LRU hash keyed by the original 5-tuple, rewrite the source
// address and port with bpf_skb_store_bytes, and fix the IPv4 and L4
// checksums with bpf_l3_csum_replace / bpf_l4_csum_replace. The port range
// is a .rodata knob set by the loader. Written for bpfvet.
// bpfvet-expect(snat_v4_egress): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>
#include <stddef.h>

volatile const __be32 SNAT_IPV4_EXTERNAL = 0x0a000001;
volatile const __u16 SNAT_PORT_MIN = 32768;
volatile const __u16 SNAT_PORT_MAX = 60999;
volatile const __u32 SNAT_COLLISION_RETRIES = 4;

struct ipv4_ct_tuple {
	__be32 daddr;
	__be32 saddr;
	__be16 dport;
	__be16 sport;
	__u8 nexthdr;
	__u8 flags;
	__u16 pad;
};

struct ipv4_nat_entry {
	__u64 created;
	__u64 needs_ct;
	__be32 to_saddr;
	__be16 to_sport;
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct ipv4_ct_tuple);
	__type(value, struct ipv4_nat_entry);
} cilium_snat_v4_external SEC(".maps");

#define IP_CSUM_OFF (ETH_HLEN + offsetof(struct iphdr, check))
#define IP_SRC_OFF (ETH_HLEN + offsetof(struct iphdr, saddr))

static __always_inline __u16 snat_clamp_port(__u16 port)
{
	__u16 range = SNAT_PORT_MAX - SNAT_PORT_MIN + 1;

	if (range == 0)
		return SNAT_PORT_MIN;
	return SNAT_PORT_MIN + (port % range);
}

static __always_inline int snat_v4_new_mapping(struct ipv4_ct_tuple *otuple,
					       struct ipv4_nat_entry *state)
{
	struct ipv4_ct_tuple rtuple = {};
	__u16 port;
	__u32 i;

	state->to_saddr = SNAT_IPV4_EXTERNAL;
	state->created = bpf_ktime_get_ns();
	port = snat_clamp_port(bpf_ntohs(otuple->sport));
	rtuple.nexthdr = otuple->nexthdr;
	rtuple.saddr = otuple->daddr;
	rtuple.daddr = SNAT_IPV4_EXTERNAL;
	rtuple.sport = otuple->dport;

#pragma unroll
	for (i = 0; i < 4; i++) {
		if (i >= SNAT_COLLISION_RETRIES)
			break;
		rtuple.dport = bpf_htons(port);
		if (!bpf_map_lookup_elem(&cilium_snat_v4_external, &rtuple)) {
			state->to_sport = rtuple.dport;
			return bpf_map_update_elem(&cilium_snat_v4_external, otuple, state, 0);
		}
		port = snat_clamp_port(port + (__u16)bpf_get_prandom_u32());
	}
	return -1;
}

static __always_inline int snat_v4_rewrite(struct __sk_buff *skb, struct ipv4_ct_tuple *tuple,
					   struct ipv4_nat_entry *state, __u32 l4_off)
{
	__be32 sum_l4 = 0;
	int csum_off, flags = BPF_F_PSEUDO_HDR;
	__be32 from = tuple->saddr, to = state->to_saddr;

	if (tuple->nexthdr == IPPROTO_TCP)
		csum_off = offsetof(struct tcphdr, check);
	else if (tuple->nexthdr == IPPROTO_UDP) {
		csum_off = offsetof(struct udphdr, check);
		flags |= BPF_F_MARK_MANGLED_0;
	} else
		return -1;

	if (bpf_skb_store_bytes(skb, IP_SRC_OFF, &to, 4, 0) < 0)
		return -1;
	if (bpf_l3_csum_replace(skb, IP_CSUM_OFF, from, to, 4) < 0)
		return -1;
	if (bpf_l4_csum_replace(skb, l4_off + csum_off, from, to, flags | 4) < 0)
		return -1;
	if (state->to_sport != tuple->sport) {
		__be16 nport = state->to_sport;

		if (bpf_skb_store_bytes(skb, l4_off + offsetof(struct tcphdr, source), &nport, 2, 0) < 0)
			return -1;
		if (bpf_l4_csum_replace(skb, l4_off + csum_off, tuple->sport, nport,
					(flags & ~BPF_F_PSEUDO_HDR) | 2) < 0)
			return -1;
	}
	return 0;
}

SEC("tc")
int snat_v4_egress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip4 = data + ETH_HLEN;
	struct ipv4_ct_tuple tuple = {};
	struct ipv4_nat_entry *state, tmp = {};
	__u32 l4_off;
	__be16 ports[2];

	if ((void *)(ip4 + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (ip4->saddr == SNAT_IPV4_EXTERNAL)
		return TC_ACT_OK;
	/* fragments are passed through untouched */
	if (ip4->frag_off & bpf_htons(0x3fff))
		return TC_ACT_OK;

	tuple.nexthdr = ip4->protocol;
	tuple.daddr = ip4->daddr;
	tuple.saddr = ip4->saddr;
	l4_off = ETH_HLEN + ip4->ihl * 4;
	if (bpf_skb_load_bytes(skb, l4_off, ports, sizeof(ports)) < 0)
		return TC_ACT_SHOT;
	tuple.sport = ports[0];
	tuple.dport = ports[1];

	state = bpf_map_lookup_elem(&cilium_snat_v4_external, &tuple);
	if (!state) {
		if (snat_v4_new_mapping(&tuple, &tmp) < 0)
			return TC_ACT_SHOT;
		state = &tmp;
	}
	if (snat_v4_rewrite(skb, &tuple, state, l4_off) < 0)
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

char __license[] SEC("license") = "Dual BSD/GPL";
