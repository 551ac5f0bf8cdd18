// SPDX-License-Identifier: MIT OR Apache-2.0
// IPIP encapsulation that keeps using the Ethernet header pointer computed
// before bpf_xdp_adjust_head: the helper may move the packet, so the
// verifier invalidates every packet pointer derived from the old ctx->data.
// The bug: copying the old MAC addresses through the stale pointer.
// Written for bpfvet.
// bpfvet-expect(encap_stale_eth): reject "R8 invalid mem access 'scalar'"
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 512);
	__type(key, __be32);
	__type(value, __be32);
} vip_to_real SEC(".maps");

SEC("xdp")
int encap_stale_eth(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *old_eth = data, *new_eth;
	struct iphdr *inner = data + sizeof(*old_eth), *outer;
	__be32 *real;
	__u16 inner_len;

	if ((void *)(inner + 1) > data_end || old_eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	real = bpf_map_lookup_elem(&vip_to_real, &inner->daddr);
	if (!real)
		return XDP_PASS;
	inner_len = bpf_ntohs(inner->tot_len);

	if (bpf_xdp_adjust_head(ctx, 0 - (int)sizeof(struct iphdr)))
		return XDP_DROP;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	new_eth = data;
	outer = data + sizeof(*new_eth);
	if ((void *)(outer + 1) > data_end)
		return XDP_DROP;
	/* bug: old_eth points into the packet as it was before the move */
	__builtin_memcpy(new_eth->h_dest, old_eth->h_source, ETH_ALEN);
	__builtin_memcpy(new_eth->h_source, old_eth->h_dest, ETH_ALEN);
	new_eth->h_proto = bpf_htons(ETH_P_IP);
	outer->version = 4;
	outer->ihl = 5;
	outer->tos = 0;
	outer->tot_len = bpf_htons(inner_len + sizeof(*outer));
	outer->id = 0;
	outer->frag_off = 0;
	outer->ttl = 64;
	outer->protocol = IPPROTO_IPIP;
	outer->check = 0;
	outer->saddr = 0x0100000a;
	outer->daddr = *real;
	return XDP_TX;
}

char _license[] SEC("license") = "GPL";
