// SPDX-License-Identifier: MIT OR Apache-2.0
// Cilium-style endpoint ingress: the entry program classifies by ethertype and
// tail-calls into per-family handlers through a prog array (the handlers are
// installed by the agent at runtime). Handlers parse L3/L4 and account per-CPU
// metrics keyed by (reason, direction). Written for bpfvet.
// bpfvet-expect(cil_from_container): accept
// bpfvet-expect(tail_handle_ipv4): accept
// bpfvet-expect(tail_handle_ipv6): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>

#define CILIUM_CALL_DROP_NOTIFY 1
#define CILIUM_CALL_IPV4_FROM_LXC 7
#define CILIUM_CALL_IPV6_FROM_LXC 8
#define CILIUM_CALL_SIZE 32

#define DROP_UNKNOWN_L3 -139
#define DROP_INVALID -134
#define DROP_MISSED_TAIL_CALL -169

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, CILIUM_CALL_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} cilium_calls SEC(".maps");

struct metrics_key {
	__u8 reason;
	__u8 dir;
	__u16 line;
	__u8 file;
	__u8 pad[3];
};

struct metrics_value {
	__u64 count;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, struct metrics_key);
	__type(value, struct metrics_value);
} cilium_metrics SEC(".maps");

static __always_inline void update_metrics(__u64 bytes, __u8 dir, __u8 reason, __u16 line)
{
	struct metrics_key key = { .reason = reason, .dir = dir, .line = line, .file = 3 };
	struct metrics_value *v, zero = {};

	v = bpf_map_lookup_elem(&cilium_metrics, &key);
	if (!v) {
		bpf_map_update_elem(&cilium_metrics, &key, &zero, BPF_NOEXIST);
		v = bpf_map_lookup_elem(&cilium_metrics, &key);
		if (!v)
			return;
	}
	v->count += 1;
	v->bytes += bytes;
}

static __always_inline int send_drop(struct __sk_buff *skb, int reason)
{
	update_metrics(skb->len, 2, (__u8)(-reason), __LINE__);
	return TC_ACT_SHOT;
}

static __always_inline int validate_ethertype(struct __sk_buff *skb, __u16 *proto)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;

	if (data + ETH_HLEN > data_end)
		return 0;
	*proto = eth->h_proto;
	if (bpf_ntohs(*proto) < ETH_P_802_3_MIN)
		return 0;
	return 1;
}

SEC("tc")
int cil_from_container(struct __sk_buff *skb)
{
	__u16 proto;
	int ret;

	skb->cb[0] = 0;
	if (!validate_ethertype(skb, &proto))
		return send_drop(skb, DROP_INVALID);

	switch (proto) {
	case bpf_htons(ETH_P_IP):
		skb->cb[1] = 4;
		bpf_tail_call(skb, &cilium_calls, CILIUM_CALL_IPV4_FROM_LXC);
		ret = DROP_MISSED_TAIL_CALL;
		break;
	case bpf_htons(ETH_P_IPV6):
		skb->cb[1] = 6;
		bpf_tail_call(skb, &cilium_calls, CILIUM_CALL_IPV6_FROM_LXC);
		ret = DROP_MISSED_TAIL_CALL;
		break;
	case bpf_htons(ETH_P_ARP):
		return TC_ACT_OK;
	default:
		ret = DROP_UNKNOWN_L3;
	}
	return send_drop(skb, ret);
}

struct l4_ports {
	__be16 sport;
	__be16 dport;
};

SEC("tc")
int tail_handle_ipv4(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip4 = data + ETH_HLEN;
	struct l4_ports ports = {};
	__u32 l4_off;

	if ((void *)(ip4 + 1) > data_end)
		return send_drop(skb, DROP_INVALID);
	if (ip4->ihl < 5)
		return send_drop(skb, DROP_INVALID);
	l4_off = ETH_HLEN + ip4->ihl * 4;

	if (ip4->protocol == IPPROTO_TCP || ip4->protocol == IPPROTO_UDP) {
		/* Cilium reads L4 ports through skb_load_bytes: no bounds proof needed. */
		if (bpf_skb_load_bytes(skb, l4_off, &ports, sizeof(ports)) < 0)
			return send_drop(skb, DROP_INVALID);
	}
	skb->cb[2] = ((__u32)bpf_ntohs(ports.dport) << 16) | bpf_ntohs(ports.sport);
	update_metrics(skb->len, 2, 0, __LINE__);
	return TC_ACT_OK;
}

SEC("tc")
int tail_handle_ipv6(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ipv6hdr *ip6 = data + ETH_HLEN;
	__u8 nexthdr;

	if ((void *)(ip6 + 1) > data_end)
		return send_drop(skb, DROP_INVALID);
	nexthdr = ip6->nexthdr;
	if (ip6->hop_limit <= 1)
		return send_drop(skb, -150);
	if (nexthdr == IPPROTO_ICMPV6) {
		struct {
			__u8 type;
			__u8 code;
		} icmp;
		if (bpf_skb_load_bytes(skb, ETH_HLEN + sizeof(*ip6), &icmp, sizeof(icmp)) < 0)
			return send_drop(skb, DROP_INVALID);
		if (icmp.type == 135 || icmp.type == 136)
			return TC_ACT_OK;
	}
	update_metrics(skb->len, 2, 0, __LINE__);
	return TC_ACT_OK;
}

char __license[] SEC("license") = "Dual BSD/GPL";
