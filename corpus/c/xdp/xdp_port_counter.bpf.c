// SPDX-License-Identifier: MIT OR Apache-2.0
// Parse Ethernet -> IPv4 (with options, ihl) -> TCP/UDP and count packets per
// destination port in a hash map.
// bpfvet-expect(xdp_port_counter): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>
#include <linux/udp.h>

struct port_key {
	__u16 port;
	__u8 proto;
	__u8 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct port_key);
	__type(value, __u64);
} port_hits SEC(".maps");

SEC("xdp")
int xdp_port_counter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct port_key key = {};
	__u64 one = 1, *val;
	__u32 ihl;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	ihl = ip->ihl * 4;
	if (ihl < sizeof(*ip))
		return XDP_DROP;
	if ((void *)ip + ihl > data_end)
		return XDP_PASS;

	if (ip->protocol == IPPROTO_TCP) {
		struct tcphdr *th = (void *)ip + ihl;

		if ((void *)(th + 1) > data_end)
			return XDP_PASS;
		key.port = bpf_ntohs(th->dest);
	} else if (ip->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (void *)ip + ihl;

		if ((void *)(uh + 1) > data_end)
			return XDP_PASS;
		key.port = bpf_ntohs(uh->dest);
	} else {
		return XDP_PASS;
	}
	key.proto = ip->protocol;

	val = bpf_map_lookup_elem(&port_hits, &key);
	if (val)
		__sync_fetch_and_add(val, 1);
	else
		bpf_map_update_elem(&port_hits, &key, &one, BPF_NOEXIST);
	return XDP_PASS;
}

BV_DUAL;
