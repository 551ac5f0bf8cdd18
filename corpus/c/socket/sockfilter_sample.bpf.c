// SPDX-License-Identifier: MIT OR Apache-2.0
// Sampling socket filter: keep 1 packet in N (N in .data), truncated to the
// first 128 bytes; uses bpf_get_prandom_u32 and skb->pkt_type.
// bpfvet-expect(sockfilter_sample): accept
#include "bpfvet.h"

__u32 sample_every = 16;

SEC("socket")
int sockfilter_sample(struct __sk_buff *skb)
{
	__u32 n = sample_every;

	if (skb->pkt_type == 4 /* PACKET_OUTGOING */)
		return 0;
	if (n == 0 || bpf_get_prandom_u32() % n)
		return 0;
	return skb->len < 128 ? skb->len : 128;
}

BV_DUAL;
