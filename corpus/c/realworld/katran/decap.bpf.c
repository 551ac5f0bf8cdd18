// SPDX-License-Identifier: MIT OR Apache-2.0
// Katran-style XDP decapsulation on the real servers: strip an outer IPv4
// (IPIP), an outer IPv6 (IP6IP6/4in6) or an outer IPv4+UDP+GUE header with
// bpf_xdp_adjust_head, rewrite the ethertype and pass the inner packet up the
// stack. Per-CPU decap counters by outer family. Built with -O1.
// Written for bpfvet.
// bpfvet-cflags: -O1
// bpfvet-expect(xdpdecap): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/udp.h>

#define GUE_DPORT 6080
#define GUEV1_IPV6MASK 0x30

struct decap_stats {
	__u64 decap_v4;
	__u64 decap_v6;
	__u64 total;
	__u64 gue;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct decap_stats);
} decap_counters SEC(".maps");

static __always_inline int decap_v4_inner(struct xdp_md *xdp, __u16 inner_proto, int strip)
{
	void *data, *data_end;
	struct ethhdr *old_eth, *new_eth;

	data = (void *)(long)xdp->data;
	data_end = (void *)(long)xdp->data_end;
	old_eth = data;
	new_eth = data + strip;
	if ((void *)(new_eth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(new_eth->h_source, old_eth->h_source, 6);
	__builtin_memcpy(new_eth->h_dest, old_eth->h_dest, 6);
	new_eth->h_proto = bpf_htons(inner_proto);
	if (bpf_xdp_adjust_head(xdp, strip))
		return XDP_DROP;
	return XDP_PASS;
}

SEC("xdp")
int xdpdecap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct decap_stats *ds;
	__u32 zero = 0;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	ds = bpf_map_lookup_elem(&decap_counters, &zero);
	if (!ds)
		return XDP_PASS;
	ds->total++;

	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = (void *)(eth + 1);

		if ((void *)(iph + 1) > data_end)
			return XDP_DROP;
		if (iph->ihl != 5)
			return XDP_PASS;
		if (iph->protocol == IPPROTO_IPIP) {
			ds->decap_v4++;
			return decap_v4_inner(ctx, ETH_P_IP, sizeof(struct iphdr));
		}
		if (iph->protocol == IPPROTO_IPV6) {
			ds->decap_v4++;
			return decap_v4_inner(ctx, ETH_P_IPV6, sizeof(struct iphdr));
		}
		if (iph->protocol == IPPROTO_UDP) {
			struct udphdr *uh = (void *)(iph + 1);
			__u8 *gue;

			if ((void *)(uh + 1) > data_end)
				return XDP_DROP;
			if (uh->dest != bpf_htons(GUE_DPORT))
				return XDP_PASS;
			gue = (void *)(uh + 1);
			if ((void *)(gue + 1) > data_end)
				return XDP_DROP;
			ds->gue++;
			if (*gue & GUEV1_IPV6MASK)
				return decap_v4_inner(ctx, ETH_P_IPV6,
						      sizeof(struct iphdr) + sizeof(struct udphdr));
			return decap_v4_inner(ctx, ETH_P_IP,
					      sizeof(struct iphdr) + sizeof(struct udphdr));
		}
		return XDP_PASS;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = (void *)(eth + 1);

		if ((void *)(ip6h + 1) > data_end)
			return XDP_DROP;
		if (ip6h->nexthdr == IPPROTO_IPV6) {
			ds->decap_v6++;
			return decap_v4_inner(ctx, ETH_P_IPV6, sizeof(struct ipv6hdr));
		}
		if (ip6h->nexthdr == IPPROTO_IPIP) {
			ds->decap_v6++;
			return decap_v4_inner(ctx, ETH_P_IP, sizeof(struct ipv6hdr));
		}
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
