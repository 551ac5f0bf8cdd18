// SPDX-License-Identifier: MIT OR Apache-2.0
// The classic beginner bug: reading the EtherType without comparing the
// packet pointer against data_end first.
// bpfvet-expect(xdp_no_bounds_check): reject "invalid access to packet, off=12 size=1"
#include "bpfvet.h"
#include <linux/if_ether.h>

SEC("xdp")
int xdp_no_bounds_check(struct xdp_md *ctx)
{
	struct ethhdr *eth = (void *)(long)ctx->data;

	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return XDP_DROP;
	return XDP_PASS;
}

BV_DUAL;
