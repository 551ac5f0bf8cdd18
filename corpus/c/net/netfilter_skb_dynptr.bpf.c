// SPDX-License-Identifier: MIT OR Apache-2.0
// Netfilter programs read packets through an skb dynptr made from ctx->skb, a
// trusted struct sk_buff: bpf_dynptr_from_skb takes the uapi view `struct
// __sk_buff *`, which is the context only of the skb program types, so here the
// kernel checks it as an object and lets the kernel struct stand for its view.
// A tp_btf program does the same with the sk_buff its tracepoint passes (from
// Linux 6.12). An object of another type is refused, and so is a writable slice.
// bpfvet-expect(nf_tcp_dport): accept
// bpfvet-expect(nf_state_pf): accept
// bpfvet-expect(tp_skb_first_byte): accept
// bpfvet-expect(nf_state_as_skb): reject "kernel function bpf_dynptr_from_skb args#0 expected pointer to STRUCT __sk_buff but R1 has a pointer to STRUCT nf_hook_state"
// bpfvet-expect(nf_slice_rdwr): reject "bpf_dynptr_slice_rdwr() is not allowed"
#include "bpfvet.h"

#define BV_CORE __attribute__((preserve_access_index))

struct sk_buff {
	unsigned int len;
} BV_CORE;

struct nf_hook_state {
	__u8 hook;
	__u8 pf;
} BV_CORE;

struct bpf_nf_ctx {
	const struct nf_hook_state *state;
	struct sk_buff *skb;
} BV_CORE;

extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;

#define NF_DROP 0
#define NF_ACCEPT 1

/* Drops TCP packets to port 23: the IP header length comes from the first
 * slice, the port from a second one at that offset. */
SEC("netfilter")
int nf_tcp_dport(struct bpf_nf_ctx *ctx)
{
	__u8 ip_buf[20] = {}, tcp_buf[20] = {};
	struct bpf_dynptr d;
	__u8 *ip, *tcp;
	__u32 ihl;

	if (ctx->skb->len < 40 || bpf_dynptr_from_skb((struct __sk_buff *)ctx->skb, 0, &d))
		return NF_ACCEPT;
	ip = bpf_dynptr_slice(&d, 0, ip_buf, sizeof(ip_buf));
	if (!ip || ip[9] != 6)
		return NF_ACCEPT;
	ihl = (ip[0] & 0xf) << 2;
	tcp = bpf_dynptr_slice(&d, ihl, tcp_buf, sizeof(tcp_buf));
	if (!tcp)
		return NF_ACCEPT;
	return (tcp[2] == 0 && tcp[3] == 23) ? NF_DROP : NF_ACCEPT;
}

/* The hook state is a trusted read-only object. */
SEC("netfilter")
int nf_state_pf(struct bpf_nf_ctx *ctx)
{
	return ctx->state->pf == 10 ? NF_DROP : NF_ACCEPT;
}

SEC("tp_btf/kfree_skb")
int tp_skb_first_byte(__u64 *args)
{
	struct sk_buff *skb = (struct sk_buff *)args[0];
	struct bpf_dynptr d;
	__u8 buf[1] = {}, *p;

	if (bpf_dynptr_from_skb((struct __sk_buff *)skb, 0, &d))
		return 0;
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	return p ? *p : 0;
}

SEC("netfilter")
int nf_state_as_skb(struct bpf_nf_ctx *ctx)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_skb((struct __sk_buff *)ctx->state, 0, &d);
	return NF_ACCEPT;
}

/* A writable slice: the 6.18 kernel refuses bpf_dynptr_slice_rdwr here. */
SEC("netfilter")
int nf_slice_rdwr(struct bpf_nf_ctx *ctx)
{
	__u8 buf[4] = {};
	struct bpf_dynptr d;
	__u8 *p;

	if (bpf_dynptr_from_skb((struct __sk_buff *)ctx->skb, 0, &d))
		return NF_ACCEPT;
	p = bpf_dynptr_slice_rdwr(&d, 0, buf, sizeof(buf));
	if (p)
		p[0] = 0;
	return NF_ACCEPT;
}

BV_GPL;
