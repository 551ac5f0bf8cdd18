// SPDX-License-Identifier: MIT OR Apache-2.0
// Cilium-style connection tracking on tc ingress: parse IPv4 + TCP/UDP with
// direct packet access, look up the forward tuple, then the reverse tuple, in
// an LRU hash; create an entry on TCP SYN / first UDP packet; update the TCP
// flag state and lifetime; count per-CPU lookup outcomes. Written for bpfvet.
// bpfvet-expect(ct_ingress): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/pkt_cls.h>

#define CT_LIFETIME_TCP 21600
#define CT_LIFETIME_NONTCP 60
#define CT_SYN_TIMEOUT 60

enum { CT_NEW, CT_ESTABLISHED, CT_REPLY, CT_RELATED, __CT_MAX };

struct ct_tuple4 {
	__be32 daddr, saddr;
	__be16 dport, sport;
	__u8 nexthdr, flags;
	__u16 pad;
};

struct ct_entry {
	__u64 rx_packets, rx_bytes, tx_packets, tx_bytes;
	__u32 lifetime;
	__u16 rx_closing:1, tx_closing:1, seen_non_syn:1, reserved:13;
	__u8 tx_flags_seen, rx_flags_seen;
	__u32 src_sec_id;
	__u32 last_tx_report, last_rx_report;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct ct_tuple4);
	__type(value, struct ct_entry);
	__uint(map_flags, 0);
} cilium_ct4_global SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, __CT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} ct_stats SEC(".maps");

static __always_inline __u32 bpf_sec(void)
{
	return (__u32)(bpf_ktime_get_ns() / 1000000000ULL);
}

static __always_inline void ct_count(__u32 what)
{
	__u64 *c = bpf_map_lookup_elem(&ct_stats, &what);

	if (c)
		*c += 1;
}

static __always_inline void ct_flip(struct ct_tuple4 *t)
{
	__be32 a = t->daddr;
	__be16 p = t->dport;

	t->daddr = t->saddr;
	t->saddr = a;
	t->dport = t->sport;
	t->sport = p;
}

SEC("tc")
int ct_ingress(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip4;
	struct ct_tuple4 tuple = {};
	struct ct_entry *entry, fresh = {};
	__u8 tcp_flags = 0;
	int dir = CT_NEW;
	__u32 now;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ip4 = (void *)(eth + 1);
	if ((void *)(ip4 + 1) > data_end || ip4->ihl != 5)
		return TC_ACT_OK;
	tuple.daddr = ip4->daddr;
	tuple.saddr = ip4->saddr;
	tuple.nexthdr = ip4->protocol;

	if (ip4->protocol == IPPROTO_TCP) {
		struct tcphdr *th = (void *)(ip4 + 1);

		if ((void *)(th + 1) > data_end)
			return TC_ACT_SHOT;
		tuple.sport = th->source;
		tuple.dport = th->dest;
		tcp_flags = ((__u8 *)th)[13];
	} else if (ip4->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (void *)(ip4 + 1);

		if ((void *)(uh + 1) > data_end)
			return TC_ACT_SHOT;
		tuple.sport = uh->source;
		tuple.dport = uh->dest;
	} else {
		return TC_ACT_OK;
	}

	now = bpf_sec();
	entry = bpf_map_lookup_elem(&cilium_ct4_global, &tuple);
	if (entry) {
		dir = CT_ESTABLISHED;
		entry->rx_packets++;
		entry->rx_bytes += skb->len;
		entry->rx_flags_seen |= tcp_flags;
	} else {
		ct_flip(&tuple);
		entry = bpf_map_lookup_elem(&cilium_ct4_global, &tuple);
		if (entry) {
			dir = CT_REPLY;
			entry->tx_packets++;
			entry->tx_bytes += skb->len;
			entry->tx_flags_seen |= tcp_flags;
		}
	}

	if (entry) {
		if (tcp_flags & (0x01 | 0x04)) { /* FIN or RST */
			if (dir == CT_REPLY)
				entry->tx_closing = 1;
			else
				entry->rx_closing = 1;
		}
		if (!(tcp_flags & 0x02))
			entry->seen_non_syn = 1;
		entry->lifetime = now + (tuple.nexthdr == IPPROTO_TCP ?
					 (entry->seen_non_syn ? CT_LIFETIME_TCP : CT_SYN_TIMEOUT) :
					 CT_LIFETIME_NONTCP);
		ct_count(dir);
		return TC_ACT_OK;
	}

	/* new connection: only on SYN for TCP */
	if (tuple.nexthdr == IPPROTO_TCP && !(tcp_flags & 0x02)) {
		ct_count(CT_RELATED);
		return TC_ACT_SHOT;
	}
	ct_flip(&tuple);
	fresh.lifetime = now + CT_SYN_TIMEOUT;
	fresh.rx_packets = 1;
	fresh.rx_bytes = skb->len;
	fresh.rx_flags_seen = tcp_flags;
	fresh.src_sec_id = skb->mark >> 16;
	bpf_map_update_elem(&cilium_ct4_global, &tuple, &fresh, BPF_ANY);
	ct_count(CT_NEW);
	return TC_ACT_OK;
}

char __license[] SEC("license") = "Dual BSD/GPL";
