// SPDX-License-Identifier: MIT OR Apache-2.0
// A cgroup egress hook that tries to rewrite the DSCP byte of outgoing IPv4
// packets with bpf_skb_store_bytes. cgroup_skb programs see the packet
// read-only; that helper is only offered to tc/lwt programs.
// Written for bpfvet.
// bpfvet-expect(egress_set_dscp): reject "program of this type cannot use helper bpf_skb_store_bytes#9"
#include "bpfvet.h"
#include <linux/in.h>
#include <linux/ip.h>
#include <stddef.h>

volatile const __u8 dscp_value = 46; /* EF */

SEC("cgroup_skb/egress")
int egress_set_dscp(struct __sk_buff *skb)
{
	struct iphdr ip4;
	__u8 tos;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 1;
	if (bpf_skb_load_bytes(skb, 0, &ip4, sizeof(ip4)) < 0)
		return 1;
	tos = (dscp_value << 2) | (ip4.tos & 3);
	if (tos != ip4.tos)
		bpf_skb_store_bytes(skb, offsetof(struct iphdr, tos), &tos, 1, 0);
	return 1;
}

char __license[] SEC("license") = "Dual BSD/GPL";
