// SPDX-License-Identifier: MIT OR Apache-2.0
// BPF flow dissector in the style of the kernel selftests' bpf_flow: parse
// Ethernet (+VLAN), IPv4 (incl. fragments and IPIP), IPv6 (+fragment header)
// and TCP/UDP ports into struct bpf_flow_keys, with headers fetched through
// bpf_skb_load_bytes into stack buffers when not in the linear area.
// Written for bpfvet.
// bpfvet-expect(_dissect): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <stdbool.h>

#define IP_MF 0x2000
#define IP_OFFSET 0x1FFF
#define IP6_MF 0x0001
#define IP6_OFFSET 0xFFF8

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

struct frag_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 identification;
};

static __always_inline void *bpf_flow_dissect_get_header(struct __sk_buff *skb, __u16 hdr_size,
							 void *buffer)
{
	void *data_end = (void *)(long)skb->data_end;
	void *data = (void *)(long)skb->data;
	__u16 thoff = skb->flow_keys->thoff;
	__u8 *hdr;

	if (thoff > (0xffff - hdr_size))
		return NULL;
	hdr = data + thoff;
	if (hdr + hdr_size <= data_end)
		return hdr;
	if (bpf_skb_load_bytes(skb, thoff, buffer, hdr_size))
		return NULL;
	return buffer;
}

static __always_inline int parse_l4(struct __sk_buff *skb, __u8 proto)
{
	struct bpf_flow_keys *keys = skb->flow_keys;

	keys->ip_proto = proto;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *tcp, _tcp;

		tcp = bpf_flow_dissect_get_header(skb, sizeof(*tcp), &_tcp);
		if (!tcp)
			return BPF_DROP;
		if (tcp->doff < 5)
			return BPF_DROP;
		if ((__u8 *)tcp + (tcp->doff << 2) > (__u8 *)(long)skb->data_end &&
		    tcp != &_tcp)
			return BPF_DROP;
		keys->sport = tcp->source;
		keys->dport = tcp->dest;
		return BPF_OK;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *udp, _udp;

		udp = bpf_flow_dissect_get_header(skb, sizeof(*udp), &_udp);
		if (!udp)
			return BPF_DROP;
		keys->sport = udp->source;
		keys->dport = udp->dest;
		return BPF_OK;
	}
	return BPF_OK;
}

static __always_inline int parse_ipv4(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	struct iphdr *iph, _iph;

	iph = bpf_flow_dissect_get_header(skb, sizeof(*iph), &_iph);
	if (!iph)
		return BPF_DROP;
	if (iph->ihl < 5)
		return BPF_DROP;
	keys->addr_proto = ETH_P_IP;
	keys->ipv4_src = iph->saddr;
	keys->ipv4_dst = iph->daddr;
	keys->thoff += iph->ihl << 2;
	if (iph->frag_off & bpf_htons(IP_MF | IP_OFFSET)) {
		keys->is_frag = true;
		if (iph->frag_off & bpf_htons(IP_OFFSET)) {
			keys->is_first_frag = false;
			return BPF_OK;
		}
		keys->is_first_frag = true;
		if (!(keys->flags & BPF_FLOW_DISSECTOR_F_PARSE_1ST_FRAG))
			return BPF_OK;
	}
	if (iph->protocol == IPPROTO_IPIP) {
		keys->is_encap = true;
		if (keys->flags & BPF_FLOW_DISSECTOR_F_STOP_AT_ENCAP)
			return BPF_OK;
		iph = bpf_flow_dissect_get_header(skb, sizeof(*iph), &_iph);
		if (!iph || iph->ihl < 5)
			return BPF_DROP;
		keys->ipv4_src = iph->saddr;
		keys->ipv4_dst = iph->daddr;
		keys->thoff += iph->ihl << 2;
	}
	return parse_l4(skb, iph->protocol);
}

static __always_inline int parse_ipv6(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	struct ipv6hdr *ip6h, _ip6h;
	__u8 nexthdr;

	ip6h = bpf_flow_dissect_get_header(skb, sizeof(*ip6h), &_ip6h);
	if (!ip6h)
		return BPF_DROP;
	keys->addr_proto = ETH_P_IPV6;
	__builtin_memcpy(&keys->ipv6_src, &ip6h->saddr, 2 * sizeof(ip6h->saddr));
	keys->thoff += sizeof(struct ipv6hdr);
	nexthdr = ip6h->nexthdr;
	if (nexthdr == IPPROTO_FRAGMENT) {
		struct frag_hdr *fragh, _fragh;

		fragh = bpf_flow_dissect_get_header(skb, sizeof(*fragh), &_fragh);
		if (!fragh)
			return BPF_DROP;
		keys->thoff += sizeof(*fragh);
		keys->is_frag = true;
		if (!(fragh->frag_off & bpf_htons(IP6_OFFSET)))
			keys->is_first_frag = true;
		else
			return BPF_OK;
		nexthdr = fragh->nexthdr;
	}
	return parse_l4(skb, nexthdr);
}

SEC("flow_dissector")
int _dissect(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	__be16 proto = keys->n_proto;

	if (proto == bpf_htons(ETH_P_8021Q) || proto == bpf_htons(ETH_P_8021AD)) {
		struct vlan_hdr *vlan, _vlan;

		vlan = bpf_flow_dissect_get_header(skb, sizeof(*vlan), &_vlan);
		if (!vlan)
			return BPF_DROP;
		proto = vlan->h_vlan_encapsulated_proto;
		keys->nhoff += sizeof(*vlan);
		keys->thoff += sizeof(*vlan);
		keys->n_proto = proto;
	}
	if (proto == bpf_htons(ETH_P_IP))
		return parse_ipv4(skb);
	if (proto == bpf_htons(ETH_P_IPV6))
		return parse_ipv6(skb);
	return BPF_DROP;
}

char _license[] SEC("license") = "GPL";
