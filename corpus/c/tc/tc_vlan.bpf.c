// SPDX-License-Identifier: MIT OR Apache-2.0
// Tag egress traffic with VLAN 100 unless already tagged; untag on ingress.
// bpfvet-expect(tc_vlan_push): accept
// bpfvet-expect(tc_vlan_pop): accept
#include "bpfvet.h"
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>

SEC("tc")
int tc_vlan_push(struct __sk_buff *skb)
{
	if (skb->vlan_present)
		return TC_ACT_OK;
	if (bpf_skb_vlan_push(skb, bpf_htons(ETH_P_8021Q), 100))
		return TC_ACT_SHOT;
	return TC_ACT_OK;
}

SEC("tc")
int tc_vlan_pop(struct __sk_buff *skb)
{
	if (skb->vlan_present && skb->vlan_tci == 100)
		bpf_skb_vlan_pop(skb);
	return TC_ACT_OK;
}

BV_DUAL;
