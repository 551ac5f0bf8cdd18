// SPDX-License-Identifier: MIT OR Apache-2.0
// Classify by L4 destination port read with bpf_skb_load_bytes (no direct
// packet access): set skb->mark and skb->priority, skb->tc_classid.
// bpfvet-expect(tc_classify_mark): accept
#include "bpfvet.h"
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>

SEC("tc")
int tc_classify_mark(struct __sk_buff *skb)
{
	struct iphdr ip;
	__be16 dport;
	__u32 off = ETH_HLEN;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	if (bpf_skb_load_bytes(skb, off, &ip, sizeof(ip)) < 0)
		return TC_ACT_OK;
	if (ip.protocol != IPPROTO_TCP && ip.protocol != IPPROTO_UDP)
		return TC_ACT_OK;
	off += ip.ihl * 4;
	/* dest port sits 2 bytes into both TCP and UDP headers */
	if (bpf_skb_load_bytes(skb, off + 2, &dport, sizeof(dport)) < 0)
		return TC_ACT_OK;

	switch (bpf_ntohs(dport)) {
	case 22:
		skb->priority = 6;
		skb->mark = 0x10;
		break;
	case 80:
	case 443:
		skb->priority = 4;
		skb->mark = 0x20;
		break;
	default:
		skb->priority = 0;
	}
	skb->tc_classid = 0x10000 | (skb->mark >> 4);
	return TC_ACT_OK;
}

BV_DUAL;
