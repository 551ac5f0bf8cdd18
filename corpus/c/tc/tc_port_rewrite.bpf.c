// SPDX-License-Identifier: MIT OR Apache-2.0
// Rewrite the TCP destination port 8080 -> 80 with bpf_skb_store_bytes and fix
// the TCP checksum with bpf_l4_csum_replace (helper-based, no direct writes).
// bpfvet-expect(tc_port_rewrite): accept
#include "bpfvet.h"
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <stddef.h>

#define IP_OFF ETH_HLEN
#define TCP_OFF (ETH_HLEN + sizeof(struct iphdr))

SEC("tc")
int tc_port_rewrite(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	__be16 old_port, new_port = bpf_htons(80);

	if ((void *)(th + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	old_port = th->dest;
	if (old_port != bpf_htons(8080))
		return TC_ACT_OK;

	bpf_l4_csum_replace(skb, TCP_OFF + offsetof(struct tcphdr, check), old_port, new_port,
			    sizeof(new_port));
	bpf_skb_store_bytes(skb, TCP_OFF + offsetof(struct tcphdr, dest), &new_port,
			    sizeof(new_port), 0);
	return TC_ACT_OK;
}

BV_DUAL;
