// SPDX-License-Identifier: MIT OR Apache-2.0
// Count DNS queries (UDP/53) per query type, reading the fixed DNS header and
// the first question's QTYPE when the name is short enough to walk.
// bpfvet-expect(xdp_dns_counter): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>

#define MAX_LABEL_BYTES 64

struct dnshdr {
	__be16 id;
	__be16 flags;
	__be16 qdcount;
	__be16 ancount;
	__be16 nscount;
	__be16 arcount;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 256);
	__type(key, __u16);
	__type(value, __u64);
} qtype_count SEC(".maps");

SEC("xdp")
int xdp_dns_counter(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	struct dnshdr *dns = (void *)(udp + 1);
	__u8 *q;
	__u16 qtype;
	__u64 one = 1, *cnt;
	int i;

	if ((void *)(dns + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
	if (udp->dest != bpf_htons(53) || dns->qdcount == 0)
		return XDP_PASS;

	q = (void *)(dns + 1);
	for (i = 0; i < MAX_LABEL_BYTES; i++) {
		if ((void *)(q + 1) > data_end)
			return XDP_PASS;
		if (*q == 0)
			break;
		q++;
	}
	if ((void *)(q + 3) > data_end)
		return XDP_PASS;
	qtype = ((__u16)q[1] << 8) | q[2];

	cnt = bpf_map_lookup_elem(&qtype_count, &qtype);
	if (cnt)
		*cnt += 1;
	else
		bpf_map_update_elem(&qtype_count, &qtype, &one, BPF_ANY);
	return XDP_PASS;
}

BV_DUAL;
