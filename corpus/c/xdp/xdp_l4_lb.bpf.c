// SPDX-License-Identifier: MIT OR Apache-2.0
// A small L4 load balancer in the Katran spirit: look up the VIP, hash the
// 5-tuple, pick a real server from a per-VIP ring, remember the choice in an
// LRU connection table and rewrite the destination MAC (DSR style).
// bpfvet-expect(xdp_l4_lb): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>

#define RING_SIZE 64
#define MAX_VIPS 128

struct vip_key {
	__be32 addr;
	__be16 port;
	__u8 proto;
	__u8 pad;
};

struct vip_meta {
	__u32 vip_index;
	__u32 flags;
};

struct flow_key {
	__be32 src;
	__be32 dst;
	__be16 sport;
	__be16 dport;
	__u8 proto;
	__u8 pad[3];
};

struct real {
	__u8 mac[ETH_ALEN];
	__u16 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_VIPS);
	__type(key, struct vip_key);
	__type(value, struct vip_meta);
} vips SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_VIPS * RING_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct real);
} reals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct flow_key);
	__type(value, __u32);
} conn_table SEC(".maps");

static __always_inline __u32 mix(__u32 h, __u32 v)
{
	h ^= v;
	h *= 0x9e3779b1;
	return (h << 13) | (h >> 19);
}

SEC("xdp")
int xdp_l4_lb(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct flow_key fk = {};
	struct vip_key vk = {};
	struct vip_meta *vm;
	struct real *rs;
	__u32 *real_idx, ring_pos, h;

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5)
		return XDP_PASS;
	if (ip->frag_off & bpf_htons(0x3fff))
		return XDP_PASS;

	fk.src = ip->saddr;
	fk.dst = ip->daddr;
	fk.proto = ip->protocol;
	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *th = (void *)(ip + 1);

		if ((void *)(th + 1) > data_end)
			return XDP_DROP;
		fk.sport = th->source;
		fk.dport = th->dest;
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (void *)(ip + 1);

		if ((void *)(uh + 1) > data_end)
			return XDP_DROP;
		fk.sport = uh->source;
		fk.dport = uh->dest;
	} else {
		return XDP_PASS;
	}

	vk.addr = fk.dst;
	vk.port = fk.dport;
	vk.proto = fk.proto;
	vm = bpf_map_lookup_elem(&vips, &vk);
	if (!vm)
		return XDP_PASS;

	real_idx = bpf_map_lookup_elem(&conn_table, &fk);
	if (!real_idx) {
		h = mix(mix(mix(0, fk.src), fk.dst), ((__u32)fk.sport << 16) | fk.dport);
		ring_pos = (vm->vip_index % MAX_VIPS) * RING_SIZE + h % RING_SIZE;
		real_idx = bpf_map_lookup_elem(&rings, &ring_pos);
		if (!real_idx)
			return XDP_DROP;
		bpf_map_update_elem(&conn_table, &fk, real_idx, BPF_ANY);
	}
	rs = bpf_map_lookup_elem(&reals, real_idx);
	if (!rs)
		return XDP_DROP;
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, rs->mac, ETH_ALEN);
	return XDP_TX;
}

BV_DUAL;
