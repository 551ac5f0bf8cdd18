// SPDX-License-Identifier: MIT OR Apache-2.0
// QUIC connection-id routing split into helper functions that each keep a
// large scratch buffer on the stack (a copy of the long header and a copy of
// the CID table entry). Each frame is below 512 bytes, but the verifier
// limits the stack of the whole call chain. Written for bpfvet.
// bpfvet-expect(quic_cid_route): reject "combined stack size of 3 calls is 560. Too large"
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/udp.h>

#define QUIC_MAX_HDR 256

struct cid_entry {
	__u32 real_id;
	__u32 version;
	__u8 server_cid[20];
	__u8 pad[4];
	__u64 history[32];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct cid_entry);
} cid_table SEC(".maps");

__u32 quic_routed, quic_unknown;

static __noinline __u32 cid_lookup_real(__u32 cid_hash)
{
	struct cid_entry copy;
	struct cid_entry *e = bpf_map_lookup_elem(&cid_table, &cid_hash);
	__u32 i, acc = 0;

	if (!e)
		return 0;
	__builtin_memcpy(&copy, e, sizeof(copy));
	/* pick the generation slot the agent marked for this CID */
	acc = (__u32)copy.history[cid_hash & 31];
	return acc ? copy.real_id : 0;
}

static __noinline int quic_parse(struct xdp_md *ctx, __u32 off)
{
	__u8 hdr[QUIC_MAX_HDR];
	__u32 cid_hash, real;

	if (bpf_xdp_load_bytes(ctx, off, hdr, sizeof(hdr)) < 0)
		return -1;
	if (!(hdr[0] & 0x80)) /* short header */
		return -1;
	cid_hash = ((__u32)hdr[6] << 24) | ((__u32)hdr[7] << 16) | ((__u32)hdr[8] << 8) | hdr[9];
	real = cid_lookup_real(cid_hash);
	return real ? 0 : -1;
}

SEC("xdp")
int quic_cid_route(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct udphdr *uh = (void *)(iph + 1);

	if ((void *)(uh + 1) > data_end || iph->protocol != IPPROTO_UDP || iph->ihl != 5)
		return XDP_PASS;
	if (uh->dest != bpf_htons(443))
		return XDP_PASS;
	if (quic_parse(ctx, sizeof(struct ethhdr) + sizeof(*iph) + sizeof(*uh)) == 0)
		__sync_fetch_and_add(&quic_routed, 1);
	else
		__sync_fetch_and_add(&quic_unknown, 1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
