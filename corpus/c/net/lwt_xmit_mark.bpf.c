// SPDX-License-Identifier: MIT OR Apache-2.0
// Lightweight tunnel hooks on a route: lwt_in drops packets with TTL 1,
// lwt_xmit marks and passes everything on.
// bpfvet-expect(lwt_in_ttl): accept
// bpfvet-expect(lwt_xmit_mark): accept
#include "bpfvet.h"
#include <linux/ip.h>

SEC("lwt_in")
int lwt_in_ttl(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;   /* LWT data starts at the network header */

	if ((void *)(ip + 1) > data_end)
		return BPF_OK;
	return ip->ttl <= 1 ? BPF_DROP : BPF_OK;
}

SEC("lwt_xmit")
int lwt_xmit_mark(struct __sk_buff *skb)
{
	skb->mark = 0xf00d;
	return BPF_OK;
}

BV_DUAL;
