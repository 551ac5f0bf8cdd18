// SPDX-License-Identifier: MIT OR Apache-2.0
// Walk TCP options looking for MSS: a bounded loop whose pointer advances by
// a packet-controlled amount, with a packet bounds check on every step.
// bpfvet-expect(tcp_find_mss): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>

__u32 mss_seen;

SEC("xdp")
int tcp_find_mss(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	__u8 *opt;

	if ((void *)(th + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_TCP || !th->syn)
		return XDP_PASS;
	opt = (void *)(th + 1);
	for (int i = 0; i < 10; i++) {
		if ((void *)(opt + 4) > data_end)
			break;
		if (opt[0] == 0)        /* end of options */
			break;
		if (opt[0] == 1) {      /* NOP */
			opt++;
			continue;
		}
		if (opt[0] == 2 && opt[1] == 4) {
			mss_seen = ((__u32)opt[2] << 8) | opt[3];
			break;
		}
		if (opt[1] < 2)
			break;
		opt += opt[1] & 0x3f;
	}
	return XDP_PASS;
}

BV_DUAL;
