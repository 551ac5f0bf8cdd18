// SPDX-License-Identifier: MIT OR Apache-2.0
// Non-linear skbs: pull the first 54 bytes into the linear area before direct
// access, then read the TCP flags and count RSTs.
// bpfvet-expect(tc_count_rst): accept
#include "bpfvet.h"
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>

__u64 rst_seen = 0;

SEC("tc")
int tc_count_rst(struct __sk_buff *skb)
{
	void *data, *data_end;
	struct iphdr *ip;
	struct tcphdr *th;
	const __u32 need = ETH_HLEN + sizeof(*ip) + sizeof(*th);

	if (skb->len < need)
		return TC_ACT_OK;
	if ((void *)(long)skb->data + need > (void *)(long)skb->data_end &&
	    bpf_skb_pull_data(skb, need))
		return TC_ACT_OK;

	data = (void *)(long)skb->data;
	data_end = (void *)(long)skb->data_end;
	ip = data + ETH_HLEN;
	th = (void *)(ip + 1);
	if ((void *)(th + 1) > data_end)
		return TC_ACT_OK;
	if (ip->protocol == IPPROTO_TCP && ip->ihl == 5 && th->rst)
		__sync_fetch_and_add(&rst_seen, 1);
	return TC_ACT_OK;
}

BV_DUAL;
