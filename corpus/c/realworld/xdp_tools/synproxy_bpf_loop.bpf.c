// SPDX-License-Identifier: MIT OR Apache-2.0
// xdp_synproxy-style TCP option parsing with bpf_loop: the callback gets a
// context struct with the packet bounds and the running offset, reads one
// option per iteration (re-deriving and bounds-checking the pointer each
// time), and stops by returning 1. The caller then decides whether the
// SYN's MSS/wscale/SACK-permitted need a cookie. Written for bpfvet.
// bpfvet-expect(syncookie_xdp): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>

#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_WINDOW 3
#define TCPOPT_SACK_PERM 4
#define TCPOPT_TIMESTAMP 8

struct tcpopt_context {
	void *data;
	void *data_end;
	__u32 off;
	__u32 opt_end;
	__u16 mss;
	__u8 wscale;
	__u8 option_sack;
	__u32 tsval;
};

volatile const __u16 default_mss = 536;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} values SEC(".maps");

static long tscookie_tcpopt_parse(__u32 index, struct tcpopt_context *ctx)
{
	__u8 *p, opcode, opsize;

	if (ctx->off >= ctx->opt_end)
		return 1;
	p = ctx->data + (ctx->off & 0x7ff);
	if ((void *)(p + 1) > ctx->data_end)
		return 1;
	opcode = p[0];
	if (opcode == TCPOPT_EOL)
		return 1;
	if (opcode == TCPOPT_NOP) {
		ctx->off++;
		return 0;
	}
	if ((void *)(p + 2) > ctx->data_end)
		return 1;
	opsize = p[1];
	if (opsize < 2)
		return 1;
	switch (opcode) {
	case TCPOPT_MSS:
		if (opsize == 4 && (void *)(p + 4) <= ctx->data_end)
			ctx->mss = ((__u16)p[2] << 8) | p[3];
		break;
	case TCPOPT_WINDOW:
		if (opsize == 3 && (void *)(p + 3) <= ctx->data_end)
			ctx->wscale = p[2] > 14 ? 14 : p[2];
		break;
	case TCPOPT_SACK_PERM:
		ctx->option_sack = opsize == 2;
		break;
	case TCPOPT_TIMESTAMP:
		if (opsize == 10 && (void *)(p + 10) <= ctx->data_end)
			ctx->tsval = ((__u32)p[2] << 24) | ((__u32)p[3] << 16) |
				     ((__u32)p[4] << 8) | p[5];
		break;
	}
	ctx->off += opsize;
	return 0;
}

SEC("xdp")
int syncookie_xdp(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct tcphdr *th = (void *)(iph + 1);
	struct tcpopt_context loop_ctx = {};
	__u32 key = 0;
	__u64 *v;

	if ((void *)(th + 1) > data_end)
		return XDP_PASS;
	if (iph->ihl != 5 || iph->protocol != IPPROTO_TCP || !th->syn || th->ack)
		return XDP_PASS;
	loop_ctx.data = data;
	loop_ctx.data_end = data_end;
	loop_ctx.off = (void *)(th + 1) - data;
	loop_ctx.opt_end = loop_ctx.off - sizeof(*th) + th->doff * 4;
	loop_ctx.mss = default_mss;
	bpf_loop(6, tscookie_tcpopt_parse, &loop_ctx, 0);

	v = bpf_map_lookup_elem(&values, &key);
	if (v)
		*v = ((__u64)loop_ctx.mss << 32) | ((__u64)loop_ctx.wscale << 8) | loop_ctx.option_sack;
	return loop_ctx.tsval ? XDP_PASS : XDP_DROP;
}

char _license[] SEC("license") = "GPL";
