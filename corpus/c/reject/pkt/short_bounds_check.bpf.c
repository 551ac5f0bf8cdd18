// SPDX-License-Identifier: MIT OR Apache-2.0
// The bounds check covers the Ethernet header only, but the code goes on to
// read the IPv4 protocol byte 9 bytes into the next header.
// bpfvet-expect(xdp_check_too_short): reject "invalid access to packet, off=23 size=1"
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>

SEC("xdp")
int xdp_check_too_short(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto == bpf_htons(ETH_P_IP) && ip->protocol == IPPROTO_UDP)
		return XDP_DROP;
	return XDP_PASS;
}

BV_DUAL;
