// SPDX-License-Identifier: MIT OR Apache-2.0
// Using a packet pointer obtained before bpf_xdp_adjust_head: the helper may
// move the packet, so the verifier invalidates all earlier packet pointers.
// bpfvet-expect(xdp_stale_pkt_ptr): reject "R6 invalid mem access 'scalar'"
#include "bpfvet.h"
#include <linux/if_ether.h>

SEC("xdp")
int xdp_stale_pkt_ptr(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;

	if ((void *)(eth + 1) > data_end)
		return XDP_PASS;
	if (bpf_xdp_adjust_head(ctx, -4))
		return XDP_DROP;
	/* eth still points at the old header: invalid now */
	return eth->h_proto == bpf_htons(ETH_P_IP) ? XDP_PASS : XDP_DROP;
}

BV_DUAL;
