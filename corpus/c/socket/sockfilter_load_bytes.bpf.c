// SPDX-License-Identifier: MIT OR Apache-2.0
// Socket filter that copies the IPv4 header with bpf_skb_load_bytes and
// counts packets per protocol in an array map; passes everything.
// bpfvet-expect(sockfilter_proto_count): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 256);
	__type(key, __u32);
	__type(value, __u64);
} proto_count SEC(".maps");

SEC("socket")
int sockfilter_proto_count(struct __sk_buff *skb)
{
	struct iphdr ip;
	__u32 proto;
	__u64 *c;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return skb->len;
	if (bpf_skb_load_bytes(skb, ETH_HLEN, &ip, sizeof(ip)))
		return skb->len;
	proto = ip.protocol;
	c = bpf_map_lookup_elem(&proto_count, &proto);
	if (c)
		__sync_fetch_and_add(c, 1);
	return skb->len;
}

BV_DUAL;
