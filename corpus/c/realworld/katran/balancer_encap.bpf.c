// SPDX-License-Identifier: MIT OR Apache-2.0
// Katran-style L4 load balancer in XDP: parse IPv4/IPv6 + TCP/UDP, look up
// the VIP, consult the per-CPU LRU connection table, otherwise pick a real
// via a Maglev-style consistent-hash ring (array of real ids), then
// encapsulate IPv4-in-IPv4 or IPv6-in-IPv6 with bpf_xdp_adjust_head, compute
// the outer IPv4 checksum in a bounded loop, rewrite MACs and XDP_TX.
// Written for bpfvet.
// bpfvet-expect(balancer_ingress): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <stdbool.h>

#define MAX_VIPS 512
#define RING_SIZE 65537
#define MAX_REALS 4096
#define F_LRU_BYPASS (1 << 1)
#define F_HASH_NO_SRC_PORT (1 << 0)
#define DEFAULT_TTL 64

struct flow_key {
	union {
		__be32 src;
		__be32 srcv6[4];
	};
	union {
		__be32 dst;
		__be32 dstv6[4];
	};
	union {
		__u32 ports;
		__u16 port16[2];
	};
	__u8 proto;
};

struct packet_description {
	struct flow_key flow;
	__u32 real_index;
	__u8 flags;
	__u8 tos;
};

struct vip_definition {
	union {
		__be32 vip;
		__be32 vipv6[4];
	};
	__u16 port;
	__u8 proto;
};

struct vip_meta {
	__u32 flags;
	__u32 vip_num;
};

struct real_pos_lru {
	__u32 pos;
	__u64 atime;
};

struct real_definition {
	union {
		__be32 dst;
		__be32 dstv6[4];
	};
	__u8 flags;
};

struct ctl_value {
	union {
		__u64 value;
		__u32 ifindex;
		__u8 mac[6];
	};
};

struct lb_stats {
	__u64 v1;
	__u64 v2;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_VIPS);
	__type(key, struct vip_definition);
	__type(value, struct vip_meta);
} vip_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 1000000);
	__type(key, struct flow_key);
	__type(value, struct real_pos_lru);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
} lru_mapping SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RING_SIZE * 4);
	__type(key, __u32);
	__type(value, __u32);
} ch_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_REALS);
	__type(key, __u32);
	__type(value, struct real_definition);
} reals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, struct ctl_value);
} ctl_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_VIPS * 2);
	__type(key, __u32);
	__type(value, struct lb_stats);
} stats SEC(".maps");

static __always_inline __u32 jhash_2words(__u32 a, __u32 b, __u32 initval)
{
	__u32 c = initval + 0xdeadbeef + (2 << 2);

	a += c;
	b += c;
	c ^= b; c -= (b << 14) | (b >> 18);
	a ^= c; a -= (c << 11) | (c >> 21);
	b ^= a; b -= (a << 25) | (a >> 7);
	c ^= b; c -= (b << 16) | (b >> 16);
	a ^= c; a -= (c << 4) | (c >> 28);
	b ^= a; b -= (a << 14) | (a >> 18);
	c ^= b; c -= (b << 24) | (b >> 8);
	return c;
}

static __always_inline __u16 csum_fold_helper(__u64 csum)
{
	int i;

#pragma unroll
	for (i = 0; i < 4; i++) {
		if (csum >> 16)
			csum = (csum & 0xffff) + (csum >> 16);
	}
	return ~csum;
}

static __always_inline void ipv4_csum_inline(void *iph, __u64 *csum)
{
	__u16 *next_iph_u16 = (__u16 *)iph;
	int i;

#pragma clang loop unroll(full)
	for (i = 0; i < (int)(sizeof(struct iphdr) >> 1); i++)
		*csum += *next_iph_u16++;
	*csum = csum_fold_helper(*csum);
}

static __always_inline int parse_l4(void *data, void *data_end, __u64 off, __u8 proto,
				    struct packet_description *pckt)
{
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = data + off;

		if ((void *)(th + 1) > data_end)
			return -1;
		if (th->syn)
			pckt->flags |= 1;
		pckt->flow.port16[0] = th->source;
		pckt->flow.port16[1] = th->dest;
		return 0;
	}
	if (proto == IPPROTO_UDP) {
		struct udphdr *uh = data + off;

		if ((void *)(uh + 1) > data_end)
			return -1;
		pckt->flow.port16[0] = uh->source;
		pckt->flow.port16[1] = uh->dest;
		return 0;
	}
	return -1;
}

static __always_inline struct real_definition *get_real(struct packet_description *pckt,
							struct vip_meta *vm, bool is_ipv6)
{
	struct real_pos_lru *dst_lru, new_lru = {};
	struct real_definition *real;
	__u32 hash, key, *real_pos;

	if (!(vm->flags & F_LRU_BYPASS)) {
		dst_lru = bpf_map_lookup_elem(&lru_mapping, &pckt->flow);
		if (dst_lru) {
			if (pckt->flow.proto == IPPROTO_UDP)
				dst_lru->atime = bpf_ktime_get_ns();
			key = dst_lru->pos;
			return bpf_map_lookup_elem(&reals, &key);
		}
	}
	if (is_ipv6)
		hash = jhash_2words(pckt->flow.srcv6[0] ^ pckt->flow.srcv6[3],
				    vm->flags & F_HASH_NO_SRC_PORT ? 0 : pckt->flow.ports, 24);
	else
		hash = jhash_2words(pckt->flow.src,
				    vm->flags & F_HASH_NO_SRC_PORT ? 0 : pckt->flow.ports, 24);
	key = RING_SIZE * (vm->vip_num & 3) + (hash % RING_SIZE);
	real_pos = bpf_map_lookup_elem(&ch_rings, &key);
	if (!real_pos)
		return NULL;
	key = *real_pos;
	real = bpf_map_lookup_elem(&reals, &key);
	if (!real)
		return NULL;
	if (!(vm->flags & F_LRU_BYPASS)) {
		new_lru.pos = key;
		if (pckt->flow.proto == IPPROTO_UDP)
			new_lru.atime = bpf_ktime_get_ns();
		bpf_map_update_elem(&lru_mapping, &pckt->flow, &new_lru, BPF_ANY);
	}
	return real;
}

static __always_inline int encap_v4(struct xdp_md *xdp, struct ctl_value *cval,
				    struct packet_description *pckt, struct real_definition *dst,
				    __u32 pkt_bytes)
{
	void *data, *data_end;
	struct iphdr *iph;
	struct ethhdr *new_eth, *old_eth;
	__u64 csum = 0;
	__be32 ip_suffix = bpf_htons(pckt->flow.port16[0]);

	ip_suffix <<= 16;
	ip_suffix ^= pckt->flow.src;
	if (bpf_xdp_adjust_head(xdp, 0 - (int)sizeof(struct iphdr)))
		return 0;
	data = (void *)(long)xdp->data;
	data_end = (void *)(long)xdp->data_end;
	new_eth = data;
	iph = data + sizeof(struct ethhdr);
	old_eth = data + sizeof(struct iphdr);
	if ((void *)(new_eth + 1) > data_end || (void *)(old_eth + 1) > data_end ||
	    (void *)(iph + 1) > data_end)
		return 0;
	__builtin_memcpy(new_eth->h_dest, cval->mac, 6);
	__builtin_memcpy(new_eth->h_source, old_eth->h_dest, 6);
	new_eth->h_proto = bpf_htons(ETH_P_IP);

	iph->version = 4;
	iph->ihl = 5;
	iph->frag_off = 0;
	iph->protocol = IPPROTO_IPIP;
	iph->check = 0;
	iph->tos = pckt->tos;
	iph->tot_len = bpf_htons(pkt_bytes + sizeof(struct iphdr));
	iph->id = 0;
	iph->daddr = dst->dst;
	iph->saddr = ((0xFFFF0000 & ip_suffix) | 0x0000ac10);
	iph->ttl = DEFAULT_TTL;
	ipv4_csum_inline(iph, &csum);
	iph->check = csum;
	return 1;
}

static __always_inline int encap_v6(struct xdp_md *xdp, struct ctl_value *cval,
				    struct packet_description *pckt, struct real_definition *dst,
				    __u32 pkt_bytes)
{
	void *data, *data_end;
	struct ipv6hdr *ip6h;
	struct ethhdr *new_eth, *old_eth;

	if (bpf_xdp_adjust_head(xdp, 0 - (int)sizeof(struct ipv6hdr)))
		return 0;
	data = (void *)(long)xdp->data;
	data_end = (void *)(long)xdp->data_end;
	new_eth = data;
	ip6h = data + sizeof(struct ethhdr);
	old_eth = data + sizeof(struct ipv6hdr);
	if ((void *)(new_eth + 1) > data_end || (void *)(old_eth + 1) > data_end ||
	    (void *)(ip6h + 1) > data_end)
		return 0;
	__builtin_memcpy(new_eth->h_dest, cval->mac, 6);
	__builtin_memcpy(new_eth->h_source, old_eth->h_dest, 6);
	new_eth->h_proto = bpf_htons(ETH_P_IPV6);

	ip6h->version = 6;
	ip6h->priority = 0;
	__builtin_memset(ip6h->flow_lbl, 0, sizeof(ip6h->flow_lbl));
	ip6h->nexthdr = IPPROTO_IPV6;
	ip6h->payload_len = bpf_htons(pkt_bytes);
	ip6h->hop_limit = DEFAULT_TTL;
	__builtin_memcpy(&ip6h->daddr, dst->dstv6, 16);
	ip6h->saddr.in6_u.u6_addr32[0] = bpf_htonl(0x0100);
	ip6h->saddr.in6_u.u6_addr32[1] = 0;
	ip6h->saddr.in6_u.u6_addr32[2] = 0;
	ip6h->saddr.in6_u.u6_addr32[3] = pckt->flow.srcv6[3] ^ pckt->flow.ports;
	return 1;
}

static __always_inline int process_packet(struct xdp_md *xdp, void *data, void *data_end,
					  bool is_ipv6)
{
	struct packet_description pckt = {};
	struct vip_definition vip = {};
	struct vip_meta *vip_info;
	struct real_definition *dst;
	struct ctl_value *cval;
	struct lb_stats *st;
	__u32 mac_addr_pos = 0, pkt_bytes, stats_key;
	__u64 off = sizeof(struct ethhdr);
	__u8 proto;

	if (is_ipv6) {
		struct ipv6hdr *ip6h = data + off;

		if ((void *)(ip6h + 1) > data_end)
			return XDP_DROP;
		proto = ip6h->nexthdr;
		pckt.tos = (ip6h->priority << 4) | (ip6h->flow_lbl[0] >> 4);
		pkt_bytes = bpf_ntohs(ip6h->payload_len) + sizeof(struct ipv6hdr);
		__builtin_memcpy(pckt.flow.srcv6, &ip6h->saddr, 16);
		__builtin_memcpy(pckt.flow.dstv6, &ip6h->daddr, 16);
		off += sizeof(struct ipv6hdr);
	} else {
		struct iphdr *iph = data + off;

		if ((void *)(iph + 1) > data_end)
			return XDP_DROP;
		if (iph->ihl != 5)
			return XDP_DROP;
		if (iph->frag_off & bpf_htons(0x3FFF))
			return XDP_DROP;
		proto = iph->protocol;
		pckt.tos = iph->tos;
		pkt_bytes = bpf_ntohs(iph->tot_len);
		pckt.flow.src = iph->saddr;
		pckt.flow.dst = iph->daddr;
		off += sizeof(struct iphdr);
	}
	pckt.flow.proto = proto;
	if (parse_l4(data, data_end, off, proto, &pckt) < 0)
		return XDP_PASS;

	if (is_ipv6)
		__builtin_memcpy(vip.vipv6, pckt.flow.dstv6, 16);
	else
		vip.vip = pckt.flow.dst;
	vip.port = pckt.flow.port16[1];
	vip.proto = proto;
	vip_info = bpf_map_lookup_elem(&vip_map, &vip);
	if (!vip_info)
		return XDP_PASS;

	stats_key = vip_info->vip_num;
	st = bpf_map_lookup_elem(&stats, &stats_key);
	if (!st)
		return XDP_DROP;
	st->v1 += 1;
	st->v2 += pkt_bytes;

	dst = get_real(&pckt, vip_info, is_ipv6);
	if (!dst)
		return XDP_DROP;
	cval = bpf_map_lookup_elem(&ctl_array, &mac_addr_pos);
	if (!cval)
		return XDP_DROP;
	if (dst->flags & 1) {
		if (!encap_v6(xdp, cval, &pckt, dst, pkt_bytes))
			return XDP_DROP;
	} else {
		if (!encap_v4(xdp, cval, &pckt, dst, pkt_bytes))
			return XDP_DROP;
	}
	return XDP_TX;
}

SEC("xdp")
int balancer_ingress(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto == bpf_htons(ETH_P_IP))
		return process_packet(ctx, data, data_end, false);
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return process_packet(ctx, data, data_end, true);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
