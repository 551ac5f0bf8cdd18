// SPDX-License-Identifier: MIT OR Apache-2.0
// Benchmark: checks the Ethernet, IPv4 and UDP headers, then hashes the UDP payload byte by
// byte (rotate and xor), each byte behind its own bounds check against data_end, up to 1500
// bytes. On a 1500-byte packet that is over 10,000 executed instructions of packet access, so
// the per-run set-up of a test run is small beside them (docs/benchmarks.md).
// bpfvet-expect(bench_payload_hash): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>

SEC("xdp")
int bench_payload_hash(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u8 *payload = (void *)(udp + 1);
	__u32 h = 0, i;

	if ((void *)payload > data_end)
		return XDP_ABORTED;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_UDP)
		return XDP_PASS;
#pragma clang loop unroll(disable)
	for (i = 0; i < 1500; i++) {
		if ((void *)(payload + i + 1) > data_end)
			break;
		h = ((h << 5) | (h >> 27)) ^ payload[i];
	}
	return h & 1 ? XDP_PASS : XDP_DROP;
}

BV_DUAL;
