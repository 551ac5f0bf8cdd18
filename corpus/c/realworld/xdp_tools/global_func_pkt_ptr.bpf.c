// SPDX-License-Identifier: MIT OR Apache-2.0
// A global (non-static) parsing function that takes raw packet pointers
// (data, data_end) like a static inline helper would. Global functions are
// verified independently of their callers, so their pointer arguments must
// have a type the verifier can size from BTF; `void *` cannot be.
// Written for bpfvet.
// bpfvet-expect(xdp_global_pkt): reject "arg#0 reference type('UNKNOWN ') size cannot be determined"
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>

__u64 tcp_pkts, udp_pkts;

__noinline int classify_l4(void *data, void *data_end)
{
	struct iphdr *iph = data + sizeof(struct ethhdr);

	if ((void *)(iph + 1) > data_end)
		return -1;
	return iph->protocol;
}

SEC("xdp")
int xdp_global_pkt(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	int proto = classify_l4(data, data_end);

	if (proto == IPPROTO_TCP)
		__sync_fetch_and_add(&tcp_pkts, 1);
	else if (proto == IPPROTO_UDP)
		__sync_fetch_and_add(&udp_pkts, 1);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
