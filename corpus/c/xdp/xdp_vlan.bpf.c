// SPDX-License-Identifier: MIT OR Apache-2.0
// Skip up to two stacked VLAN tags (802.1Q / 802.1ad) with an unrolled loop,
// then drop traffic on VLAN ids listed in an array map.
// bpfvet-expect(xdp_vlan_filter): accept
#include "bpfvet.h"
#include <linux/if_ether.h>

struct vlan_hdr {
	__be16 tci;
	__be16 encap_proto;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} vlan_deny SEC(".maps");

SEC("xdp")
int xdp_vlan_filter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct vlan_hdr *vh;
	__u16 proto;
	__u32 vid = 0;
	void *cur;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	proto = eth->h_proto;
	cur = eth + 1;

#pragma unroll
	for (int i = 0; i < 2; i++) {
		if (proto != bpf_htons(ETH_P_8021Q) && proto != bpf_htons(ETH_P_8021AD))
			break;
		vh = cur;
		if ((void *)(vh + 1) > data_end)
			return XDP_DROP;
		vid = bpf_ntohs(vh->tci) & 0x0fff;
		proto = vh->encap_proto;
		cur = vh + 1;
	}
	if (vid) {
		__u8 *deny = bpf_map_lookup_elem(&vlan_deny, &vid);

		if (deny && *deny)
			return XDP_DROP;
	}
	return XDP_PASS;
}

BV_DUAL;
