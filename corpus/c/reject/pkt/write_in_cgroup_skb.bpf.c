// SPDX-License-Identifier: MIT OR Apache-2.0
// cgroup_skb programs may read packet data directly but not write it:
// zeroing the IPv4 TOS byte after a correct bounds check is refused.
// bpfvet-expect(cg_clear_tos): reject "cannot write into packet"
#include "bpfvet.h"
#include <linux/ip.h>

SEC("cgroup_skb/egress")
int cg_clear_tos(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip = data;

	if ((void *)(ip + 1) > data_end)
		return 1;
	ip->tos = 0;
	return 1;
}

BV_DUAL;
