// SPDX-License-Identifier: MIT OR Apache-2.0
// Strip an outer IPv4-in-IPv4 header: move the Ethernet header forward over the
// outer IP header and shrink the frame with bpf_xdp_adjust_head. Packet
// pointers must be reloaded and re-checked after the helper.
// bpfvet-expect(xdp_ipip_decap): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>

SEC("xdp")
int xdp_ipip_decap(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data, *neweth;
	struct iphdr *outer = data + sizeof(*eth);
	struct ethhdr copy;

	if ((void *)(outer + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || outer->protocol != IPPROTO_IPIP || outer->ihl != 5)
		return XDP_PASS;
	__builtin_memcpy(&copy, eth, sizeof(copy));

	if (bpf_xdp_adjust_head(ctx, (int)sizeof(struct iphdr)))
		return XDP_DROP;

	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	neweth = data;
	if ((void *)(neweth + 1) > data_end)
		return XDP_DROP;
	__builtin_memcpy(neweth, &copy, sizeof(copy));
	return XDP_PASS;
}

BV_DUAL;
