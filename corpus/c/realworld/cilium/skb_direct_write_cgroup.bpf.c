// SPDX-License-Identifier: MIT OR Apache-2.0
// Clearing the ECN bits of outgoing IPv4 packets with a direct packet store
// from a cgroup_skb egress program. Direct packet access is read-only for
// cgroup_skb, only tc/lwt-xmit/xdp programs may write to skb data.
// Written for bpfvet.
// bpfvet-expect(egress_clear_ecn): reject "cannot write into packet"
#include "bpfvet.h"
#include <linux/ip.h>

SEC("cgroup_skb/egress")
int egress_clear_ecn(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *iph = data;

	if (skb->protocol != bpf_htons(ETH_P_IP))
		return 1;
	if ((void *)(iph + 1) > data_end)
		return 1;
	if (iph->tos & 3)
		iph->tos &= ~3;
	return 1;
}

char __license[] SEC("license") = "Dual BSD/GPL";
