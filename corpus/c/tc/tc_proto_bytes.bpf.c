// SPDX-License-Identifier: MIT OR Apache-2.0
// Count bytes per EtherType bucket and direction in a per-CPU array, reading
// only __sk_buff metadata fields.
// bpfvet-expect(tc_ingress_bytes): accept
// bpfvet-expect(tc_egress_bytes): accept
#include "bpfvet.h"
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>

enum { B_IPV4, B_IPV6, B_ARP, B_OTHER, B_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2 * B_MAX);
	__type(key, __u32);
	__type(value, __u64);
} proto_bytes SEC(".maps");

static __noinline int account(struct __sk_buff *skb, __u32 dir)
{
	__u32 bucket;
	__u64 *v;

	switch (skb->protocol) {
	case bpf_htons(ETH_P_IP):
		bucket = B_IPV4;
		break;
	case bpf_htons(ETH_P_IPV6):
		bucket = B_IPV6;
		break;
	case bpf_htons(0x0806):
		bucket = B_ARP;
		break;
	default:
		bucket = B_OTHER;
	}
	bucket += dir * B_MAX;
	v = bpf_map_lookup_elem(&proto_bytes, &bucket);
	if (v)
		*v += skb->len;
	return TC_ACT_OK;
}

SEC("tc")
int tc_ingress_bytes(struct __sk_buff *skb)
{
	return account(skb, 0);
}

SEC("tc")
int tc_egress_bytes(struct __sk_buff *skb)
{
	return account(skb, 1);
}

BV_DUAL;
