// SPDX-License-Identifier: MIT OR Apache-2.0
// Cilium-style XDP prefilter: drop packets whose source is in a CIDR deny
// list (LPM tries for IPv4 and IPv6) or in a hash of exact /32 addresses;
// count drops per CPU. VLAN tags are skipped. Written for bpfvet.
// bpfvet-expect(xdp_prefilter): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>

struct vlan_hdr {
	__be16 h_vlan_TCI;
	__be16 h_vlan_encapsulated_proto;
};

struct lpm_v4_key {
	struct bpf_lpm_trie_key_hdr lpm;
	__u8 addr[4];
};

struct lpm_v6_key {
	struct bpf_lpm_trie_key_hdr lpm;
	__u8 addr[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__type(key, struct lpm_v4_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cilium_cidr_v4_dyn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 16384);
	__type(key, struct lpm_v6_key);
	__type(value, __u8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} cilium_cidr_v6_dyn SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __be32);
	__type(value, __u8);
} cilium_cidr_v4_fix SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} cilium_prefilter_stats SEC(".maps");

static __always_inline int drop_count(void)
{
	__u32 k = 1;
	__u64 *c = bpf_map_lookup_elem(&cilium_prefilter_stats, &k);

	if (c)
		*c += 1;
	return XDP_DROP;
}

static __always_inline int check_v4(void *data, void *data_end, __u64 off)
{
	struct iphdr *ip4 = data + off;
	struct lpm_v4_key key;

	if ((void *)(ip4 + 1) > data_end)
		return XDP_DROP;
	if (bpf_map_lookup_elem(&cilium_cidr_v4_fix, &ip4->saddr))
		return drop_count();
	key.lpm.prefixlen = 32;
	__builtin_memcpy(key.addr, &ip4->saddr, 4);
	if (bpf_map_lookup_elem(&cilium_cidr_v4_dyn, &key))
		return drop_count();
	return XDP_PASS;
}

static __always_inline int check_v6(void *data, void *data_end, __u64 off)
{
	struct ipv6hdr *ip6 = data + off;
	struct lpm_v6_key key;

	if ((void *)(ip6 + 1) > data_end)
		return XDP_DROP;
	key.lpm.prefixlen = 128;
	__builtin_memcpy(key.addr, &ip6->saddr, 16);
	if (bpf_map_lookup_elem(&cilium_cidr_v6_dyn, &key))
		return drop_count();
	return XDP_PASS;
}

SEC("xdp")
int xdp_prefilter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	__u64 off = sizeof(*eth);
	__u16 proto;
	int i;

	if (data + off > data_end)
		return XDP_DROP;
	proto = eth->h_proto;

#pragma unroll
	for (i = 0; i < 2; i++) {
		struct vlan_hdr *vh = data + off;

		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return XDP_DROP;
		proto = vh->h_vlan_encapsulated_proto;
		off += sizeof(*vh);
	}

	if (proto == bpf_htons(ETH_P_IP))
		return check_v4(data, data_end, off);
	if (proto == bpf_htons(ETH_P_IPV6))
		return check_v6(data, data_end, off);
	return XDP_PASS;
}

char __license[] SEC("license") = "Dual BSD/GPL";
