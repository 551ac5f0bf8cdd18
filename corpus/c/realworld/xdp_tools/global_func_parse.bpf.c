// SPDX-License-Identifier: MIT OR Apache-2.0
// xdp-tools style program split into global (non-static) functions, each
// verified once on its own: the parser takes the xdp_md context and a
// scalar offset and re-derives packet pointers itself; a stats helper takes
// a pointer to a stack struct (PTR_TO_MEM of known size) and may see NULL.
// bpf_printk debugging is left in behind a `volatile const` switch.
// The kernel rejects it for a reason developers keep tripping over: the
// `l3_off > 64` check is compiled on a zero-extended copy of the u32
// argument, and the pointer arithmetic zero-extends the original register
// again, so the bound never reaches the packet pointer (see
// global_func_parse_u64.bpf.c for the fix: a 64-bit offset).
// Written for bpfvet.
// bpfvet-expect(xdp_global_parse): reject "invalid access to packet, off=0 size=1"
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <stdbool.h>

volatile const bool debug = false;

struct pkt_meta {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, struct pkt_meta);
	__type(value, __u64);
} flows SEC(".maps");

__noinline int parse_ipv4_udp(struct xdp_md *ctx, __u32 l3_off, struct pkt_meta *meta)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct iphdr *iph;
	struct udphdr *uh;

	if (!meta)
		return -1;
	if (l3_off > 64)
		return -1;
	iph = data + l3_off;
	if ((void *)(iph + 1) > data_end)
		return -1;
	if (iph->ihl != 5 || iph->protocol != IPPROTO_UDP)
		return -1;
	uh = (void *)(iph + 1);
	if ((void *)(uh + 1) > data_end)
		return -1;
	meta->saddr = iph->saddr;
	meta->daddr = iph->daddr;
	meta->sport = bpf_ntohs(uh->source);
	meta->dport = bpf_ntohs(uh->dest);
	meta->proto = IPPROTO_UDP;
	return 0;
}

__noinline int account_flow(struct pkt_meta *meta, __u32 bytes)
{
	__u64 *v, init;

	if (!meta)
		return 0;
	v = bpf_map_lookup_elem(&flows, meta);
	if (v) {
		*v += bytes;
		return 1;
	}
	init = bytes;
	bpf_map_update_elem(&flows, meta, &init, BPF_NOEXIST);
	return 0;
}

SEC("xdp")
int xdp_global_parse(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct ethhdr *eth = data;
	struct pkt_meta meta = {};

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	if (parse_ipv4_udp(ctx, sizeof(*eth), &meta) < 0)
		return XDP_PASS;
	if (debug)
		bpf_printk("udp %pI4:%u -> %u", &meta.saddr, meta.sport, meta.dport);
	account_flow(&meta, ctx->data_end - ctx->data);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
