// SPDX-License-Identifier: MIT OR Apache-2.0
// skb helpers in tc: socket lookup with release (reference tracking done
// right), bpf_csum_diff over a stack buffer, hash recalculation, ECN
// marking and bpf_skb_change_tail bookkeeping.
// bpfvet-expect(tc_sk_lookup_release): accept
// bpfvet-expect(tc_csum_and_hash): accept
#include "bpfvet.h"
#include <linux/pkt_cls.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>

__u64 local_hits, remote_hits;

SEC("tc")
int tc_sk_lookup_release(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	struct bpf_sock_tuple tuple = {};
	struct bpf_sock *sk;

	if ((void *)(th + 1) > data_end)
		return TC_ACT_OK;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return TC_ACT_OK;
	tuple.ipv4.saddr = ip->saddr;
	tuple.ipv4.daddr = ip->daddr;
	tuple.ipv4.sport = th->source;
	tuple.ipv4.dport = th->dest;

	sk = bpf_sk_lookup_tcp(skb, &tuple, sizeof(tuple.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (sk) {
		if (sk->state == 10 /* TCP_LISTEN */)
			__sync_fetch_and_add(&local_hits, 1);
		bpf_sk_release(sk);
	} else {
		__sync_fetch_and_add(&remote_hits, 1);
	}
	return TC_ACT_OK;
}

SEC("tc")
int tc_csum_and_hash(struct __sk_buff *skb)
{
	__be32 from[2] = { 0x0a000001, 0x0a000002 };
	__be32 to[2] = { 0x0a000003, 0x0a000004 };
	__s64 diff;

	diff = bpf_csum_diff(from, sizeof(from), to, sizeof(to), 0);
	if (diff < 0)
		return TC_ACT_OK;
	if (bpf_get_hash_recalc(skb) & 1)
		bpf_skb_ecn_set_ce(skb);
	skb->cb[0] = (__u32)diff;
	return TC_ACT_OK;
}

BV_DUAL;
