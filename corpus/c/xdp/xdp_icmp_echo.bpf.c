// SPDX-License-Identifier: MIT OR Apache-2.0
// Answer ICMP echo requests in XDP: swap MACs and IPs, turn the type into an
// echo reply, patch the ICMP checksum incrementally and bounce with XDP_TX.
// bpfvet-expect(xdp_icmp_echo): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>

/* linux/icmp.h drags in libc headers; declare the 8-byte echo header here. */
struct icmp_echo_hdr {
	__u8 type;
	__u8 code;
	__sum16 checksum;
	__be16 id;
	__be16 sequence;
};
#define ICMP_ECHOREPLY 0
#define ICMP_ECHO 8

static __always_inline void swap_mac(struct ethhdr *eth)
{
	__u8 tmp[ETH_ALEN];

	__builtin_memcpy(tmp, eth->h_source, ETH_ALEN);
	__builtin_memcpy(eth->h_source, eth->h_dest, ETH_ALEN);
	__builtin_memcpy(eth->h_dest, tmp, ETH_ALEN);
}

static __always_inline __u16 csum_fold(__u32 csum)
{
	csum = (csum & 0xffff) + (csum >> 16);
	csum = (csum & 0xffff) + (csum >> 16);
	return (__u16)~csum;
}

SEC("xdp")
int xdp_icmp_echo(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = data + sizeof(*eth);
	struct icmp_echo_hdr *icmp;
	__u32 tmp_ip, csum;

	if ((void *)(ip + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->protocol != IPPROTO_ICMP || ip->ihl != 5)
		return XDP_PASS;
	icmp = (void *)(ip + 1);
	if ((void *)(icmp + 1) > data_end)
		return XDP_PASS;
	if (icmp->type != ICMP_ECHO)
		return XDP_PASS;

	swap_mac(eth);
	tmp_ip = ip->saddr;
	ip->saddr = ip->daddr;
	ip->daddr = tmp_ip;
	icmp->type = ICMP_ECHOREPLY;
	/* RFC 1624: HC' = ~(~HC + ~m + m') with m = 0x0800, m' = 0x0000 */
	csum = (__u16)~icmp->checksum;
	csum += (__u16)~bpf_htons(ICMP_ECHO << 8);
	icmp->checksum = csum_fold(csum);
	return XDP_TX;
}

BV_DUAL;
