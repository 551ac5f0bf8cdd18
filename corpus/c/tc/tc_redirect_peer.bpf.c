// SPDX-License-Identifier: MIT OR Apache-2.0
// Redirect ingress traffic for a configured destination IPv4 address to
// another device (ifindex in .rodata), like a container veth fast path.
// bpfvet-expect(tc_redirect_peer): accept
#include "bpfvet.h"
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>

const volatile __u32 target_ifindex = 2;
const volatile __be32 pod_addr = 0;

SEC("tc")
int tc_redirect_peer(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(ip + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->daddr != pod_addr)
		return TC_ACT_OK;
	return bpf_redirect(target_ifindex, 0);
}

BV_DUAL;
