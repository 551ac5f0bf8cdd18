// SPDX-License-Identifier: MIT OR Apache-2.0
// A flow dissector that adds keys->nhoff (u16, unbounded up to 0xffff) to the
// packet pointer without an upper bound: the pointer may exceed MAX_PACKET_OFF,
// so the data_end comparison proves nothing and the header read is refused.
// bpfvet-expect(dissect_unbounded_nhoff): reject "R5 offset is outside of the packet"
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>

SEC("flow_dissector")
int dissect_unbounded_nhoff(struct __sk_buff *skb)
{
	struct bpf_flow_keys *keys = skb->flow_keys;
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip;
	__u16 *ports;

	if (keys->n_proto != bpf_htons(ETH_P_IP))
		return BPF_DROP;
	ip = data + keys->nhoff;
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return BPF_DROP;
	keys->addr_proto = ETH_P_IP;
	keys->ipv4_src = ip->saddr;
	keys->ipv4_dst = ip->daddr;
	keys->ip_proto = ip->protocol;
	keys->thoff = keys->nhoff + ip->ihl * 4;
	if (ip->frag_off & bpf_htons(0x1fff)) {
		keys->is_frag = 1;
		return BPF_OK;
	}
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return BPF_OK;
	ports = data + keys->thoff;
	if ((void *)(ports + 2) > data_end)
		return BPF_DROP;
	keys->sport = ports[0];
	keys->dport = ports[1];
	return BPF_OK;
}

BV_DUAL;
