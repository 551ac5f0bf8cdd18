// SPDX-License-Identifier: MIT OR Apache-2.0
// The same TCP option walk written the "obvious" way: the header length was
// checked once, so the loop reads p[1] (the option length) after checking
// only that p[0] is inside the packet. Off by one byte at the end of the
// packet, and the verifier says so. Written for bpfvet.
// bpfvet-expect(xdp_tcp_opts_unchecked): reject "invalid access to packet, off=55 size=1"
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>

__u64 mss_seen;

SEC("xdp")
int xdp_tcp_opts_unchecked(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct tcphdr *th = (void *)(iph + 1);
	__u32 off = sizeof(*th), opt_end;
	int i;

	if ((void *)(th + 1) > data_end)
		return XDP_PASS;
	if (iph->ihl != 5 || iph->protocol != IPPROTO_TCP)
		return XDP_PASS;
	opt_end = th->doff * 4;
	for (i = 0; i < 40; i++) {
		__u8 *p;

		if (off >= opt_end)
			break;
		off &= 0x3f;
		p = (__u8 *)th + off;
		if ((void *)(p + 1) > data_end)
			break;
		if (p[0] == 0)
			break;
		if (p[0] == 1) {
			off++;
			continue;
		}
		if (p[0] == 2)
			mss_seen++;
		off += p[1] < 2 ? 2 : p[1];
	}
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
