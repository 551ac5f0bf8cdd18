// SPDX-License-Identifier: MIT OR Apache-2.0
// Walk IPv6 extension headers (hop-by-hop, routing, dest options, fragment)
// with a bounded loop to find the upper-layer protocol; drop fragments.
// bpfvet-expect(xdp_ipv6_exthdr): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ipv6.h>
#include <linux/in.h>
#include <linux/in6.h>

#define MAX_EXT_HDRS 6

struct ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} l4_proto_count SEC(".maps");

SEC("xdp")
int xdp_ipv6_exthdr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct ipv6hdr *ip6;
	struct ext_hdr *eh;
	void *cur;
	__u32 next;
	__u64 *cnt;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IPV6))
		return XDP_PASS;
	ip6 = (void *)(eth + 1);
	if ((void *)(ip6 + 1) > data_end)
		return XDP_PASS;
	next = ip6->nexthdr;
	cur = ip6 + 1;

	for (int i = 0; i < MAX_EXT_HDRS; i++) {
		if (next == IPPROTO_FRAGMENT)
			return XDP_DROP;
		if (next != IPPROTO_HOPOPTS && next != IPPROTO_ROUTING && next != IPPROTO_DSTOPTS)
			break;
		eh = cur;
		if ((void *)(eh + 1) > data_end)
			return XDP_DROP;
		next = eh->nexthdr;
		cur += (eh->hdrlen + 1) * 8;
	}
	cnt = bpf_map_lookup_elem(&l4_proto_count, &next);
	if (cnt)
		__sync_fetch_and_add(cnt, 1);
	return XDP_PASS;
}

BV_DUAL;
