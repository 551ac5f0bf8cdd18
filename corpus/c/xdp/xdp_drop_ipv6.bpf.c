// SPDX-License-Identifier: MIT OR Apache-2.0
// Drop every IPv6 frame, pass the rest. Classic Ethernet bounds check.
// bpfvet-expect(xdp_drop_ipv6): accept
#include "bpfvet.h"
#include <linux/if_ether.h>

SEC("xdp")
int xdp_drop_ipv6(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_ABORTED;
	if (eth->h_proto == bpf_htons(ETH_P_IPV6))
		return XDP_DROP;
	return XDP_PASS;
}

BV_DUAL;
