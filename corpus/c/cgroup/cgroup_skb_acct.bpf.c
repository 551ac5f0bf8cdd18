// SPDX-License-Identifier: MIT OR Apache-2.0
// Per-cgroup traffic accounting: count ingress/egress bytes keyed by the
// socket cookie's cgroup id, and block egress to TCP port 23 (telnet).
// bpfvet-expect(cg_ingress_acct): accept
// bpfvet-expect(cg_egress_acct): accept
#include "bpfvet.h"
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>

struct traffic {
	__u64 rx_bytes;
	__u64 tx_bytes;
	__u64 tx_blocked;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct traffic);
} cg_traffic SEC(".maps");

static __always_inline struct traffic *get_slot(void)
{
	__u64 cg = bpf_get_current_cgroup_id();
	struct traffic *t = bpf_map_lookup_elem(&cg_traffic, &cg), zero = {};

	if (t)
		return t;
	bpf_map_update_elem(&cg_traffic, &cg, &zero, BPF_NOEXIST);
	return bpf_map_lookup_elem(&cg_traffic, &cg);
}

SEC("cgroup_skb/ingress")
int cg_ingress_acct(struct __sk_buff *skb)
{
	struct traffic *t = get_slot();

	if (t)
		__sync_fetch_and_add(&t->rx_bytes, skb->len);
	return 1;
}

SEC("cgroup_skb/egress")
int cg_egress_acct(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;   /* cgroup skb data starts at the network header */
	struct traffic *t = get_slot();

	if (!t)
		return 1;
	__sync_fetch_and_add(&t->tx_bytes, skb->len);
	if (skb->protocol == bpf_htons(0x0800) && (void *)(ip + 1) <= data_end &&
	    ip->protocol == IPPROTO_TCP && ip->ihl == 5) {
		struct tcphdr *th = (void *)(ip + 1);

		if ((void *)(th + 1) <= data_end && th->dest == bpf_htons(23)) {
			__sync_fetch_and_add(&t->tx_blocked, 1);
			return 0;
		}
	}
	return 1;
}

BV_DUAL;
