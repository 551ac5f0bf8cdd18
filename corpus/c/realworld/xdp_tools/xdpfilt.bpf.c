// SPDX-License-Identifier: MIT OR Apache-2.0
// xdp-filter-style packet filter: feature bits in `volatile const` decide
// which of the TCP/UDP port, IPv4, IPv6 and Ethernet filters are compiled in
// at load time (dead code elimination by the verifier); each filter map is
// looked up and the verdict recorded with xdp_stats_record_action into a
// per-CPU stats array (packets + bytes per action). Written for bpfvet.
// bpfvet-expect(xdpfilt_alw_all): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/in6.h>
#include <stdbool.h>

#define FILTER_TCP (1 << 0)
#define FILTER_UDP (1 << 1)
#define FILTER_IPV6 (1 << 2)
#define FILTER_IPV4 (1 << 3)
#define FILTER_ETHERNET (1 << 4)
#define MAP_FLAG_SRC (1 << 0)
#define MAP_FLAG_DST (1 << 1)
#define MAP_FLAG_TCP (1 << 2)
#define MAP_FLAG_UDP (1 << 3)
#define VLAN_MAX_DEPTH 2

volatile const __u32 features = FILTER_TCP | FILTER_UDP | FILTER_IPV6 | FILTER_IPV4 | FILTER_ETHERNET;
volatile const bool mode_allow = false;

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

struct hdr_cursor {
	void *pos;
};

struct datarec {
	__u64 rx_packets;
	__u64 rx_bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1);
	__type(key, __u32);
	__type(value, struct datarec);
} xdp_stats_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u64);
} filter_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10000);
	__type(key, __u32);
	__type(value, __u64);
} filter_ipv4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10000);
	__type(key, struct in6_addr);
	__type(value, __u64);
} filter_ipv6 SEC(".maps");

struct ethaddr {
	__u8 addr[ETH_ALEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 10000);
	__type(key, struct ethaddr);
	__type(value, __u64);
} filter_ethernet SEC(".maps");

static __always_inline __u32 xdp_stats_record_action(struct xdp_md *ctx, __u32 action)
{
	struct datarec *rec;

	if (action >= XDP_REDIRECT + 1)
		return XDP_ABORTED;
	rec = bpf_map_lookup_elem(&xdp_stats_map, &action);
	if (!rec)
		return XDP_ABORTED;
	rec->rx_packets++;
	rec->rx_bytes += (ctx->data_end - ctx->data);
	return action;
}

static __always_inline int proto_is_vlan(__u16 h_proto)
{
	return !!(h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD));
}

static __always_inline int parse_ethhdr(struct hdr_cursor *nh, void *data_end, struct ethhdr **ethhdr)
{
	struct ethhdr *eth = nh->pos;
	struct vlan_hdr *vlh;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > data_end)
		return -1;
	nh->pos = eth + 1;
	*ethhdr = eth;
	vlh = nh->pos;
	h_proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		if (!proto_is_vlan(h_proto))
			break;
		if ((void *)(vlh + 1) > data_end)
			break;
		h_proto = vlh->h_vlan_encapsulated_proto;
		vlh++;
	}
	nh->pos = vlh;
	return h_proto;
}

static __always_inline int lookup_verdict_port(__u16 port, __u32 flag)
{
	__u32 key = port;
	__u64 *value = bpf_map_lookup_elem(&filter_ports, &key);

	if (value && (*value & flag)) {
		*value += 1 << 8; /* hit counter in the upper bits */
		return 1;
	}
	return 0;
}

static __always_inline int check_l4(struct hdr_cursor *nh, void *data_end, __u8 proto)
{
	if ((features & FILTER_TCP) && proto == IPPROTO_TCP) {
		struct tcphdr *th = nh->pos;

		if ((void *)(th + 1) > data_end)
			return -1;
		if (lookup_verdict_port(bpf_ntohs(th->source), MAP_FLAG_SRC | MAP_FLAG_TCP) ||
		    lookup_verdict_port(bpf_ntohs(th->dest), MAP_FLAG_DST | MAP_FLAG_TCP))
			return 1;
	}
	if ((features & FILTER_UDP) && proto == IPPROTO_UDP) {
		struct udphdr *uh = nh->pos;

		if ((void *)(uh + 1) > data_end)
			return -1;
		if (lookup_verdict_port(bpf_ntohs(uh->source), MAP_FLAG_SRC | MAP_FLAG_UDP) ||
		    lookup_verdict_port(bpf_ntohs(uh->dest), MAP_FLAG_DST | MAP_FLAG_UDP))
			return 1;
	}
	return 0;
}

SEC("xdp")
int xdpfilt_alw_all(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct hdr_cursor nh = { .pos = data };
	struct ethhdr *eth;
	int eth_type, hit = 0;
	__u32 action = mode_allow ? XDP_DROP : XDP_PASS;
	__u64 *v;

	eth_type = parse_ethhdr(&nh, data_end, &eth);
	if (eth_type < 0)
		goto out;
	if (features & FILTER_ETHERNET) {
		v = bpf_map_lookup_elem(&filter_ethernet, eth->h_source);
		if (v) {
			*v += 1;
			hit = 1;
			goto verdict;
		}
	}
	if ((features & FILTER_IPV4) && eth_type == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = nh.pos;

		if ((void *)(iph + 1) > data_end)
			goto out;
		v = bpf_map_lookup_elem(&filter_ipv4, &iph->saddr);
		if (!v)
			v = bpf_map_lookup_elem(&filter_ipv4, &iph->daddr);
		if (v) {
			*v += 1;
			hit = 1;
			goto verdict;
		}
		if (iph->ihl != 5)
			goto out;
		nh.pos = iph + 1;
		hit = check_l4(&nh, data_end, iph->protocol);
	} else if ((features & FILTER_IPV6) && eth_type == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = nh.pos;

		if ((void *)(ip6h + 1) > data_end)
			goto out;
		v = bpf_map_lookup_elem(&filter_ipv6, &ip6h->saddr);
		if (!v)
			v = bpf_map_lookup_elem(&filter_ipv6, &ip6h->daddr);
		if (v) {
			*v += 1;
			hit = 1;
			goto verdict;
		}
		nh.pos = ip6h + 1;
		hit = check_l4(&nh, data_end, ip6h->nexthdr);
	}
verdict:
	if (hit < 0)
		action = XDP_ABORTED;
	else if (hit)
		action = mode_allow ? XDP_PASS : XDP_DROP;
out:
	return xdp_stats_record_action(ctx, action);
}

char _license[] SEC("license") = "GPL";
