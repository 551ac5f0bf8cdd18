// SPDX-License-Identifier: MIT OR Apache-2.0
// Skipping IPv6 extension headers to find the L4 protocol. The loop is
// bounded, and the first header is checked, but when the offset grows by
// (hdrlen + 1) * 8 the code reads the next header without a new comparison
// against data_end. Written for bpfvet.
// bpfvet-expect(ipv6_find_l4): reject "invalid access to packet, off=0 size=1"
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>

#define IPV6_MAX_HEADERS 4

struct ipv6_opt_hdr_ {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} l4_proto_count SEC(".maps");

static __always_inline int ipv6_is_exthdr(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT;
}

SEC("tc")
int ipv6_find_l4(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = data + ETH_HLEN;
	struct ipv6_opt_hdr_ *opt;
	__u32 off = ETH_HLEN + sizeof(struct ipv6hdr);
	__u8 nh;
	__u64 *cnt;
	__u32 key;
	int i;

	if ((void *)(ip6 + 1) > data_end)
		return TC_ACT_OK;
	nh = ip6->nexthdr;

#pragma unroll
	for (i = 0; i < IPV6_MAX_HEADERS; i++) {
		if (!ipv6_is_exthdr(nh))
			break;
		opt = data + off;
		if (i == 0 && (void *)(opt + 1) > data_end)
			return TC_ACT_SHOT;
		nh = opt->nexthdr;
		if (nh == IPPROTO_FRAGMENT)
			off += 8;
		else
			off += (opt->hdrlen + 1) << 3;
	}
	key = nh;
	cnt = bpf_map_lookup_elem(&l4_proto_count, &key);
	if (cnt)
		*cnt += 1;
	return TC_ACT_OK;
}

char __license[] SEC("license") = "Dual BSD/GPL";
