// SPDX-License-Identifier: MIT OR Apache-2.0
// Socket filters have no direct packet access: reading skb->data (the ctx
// field itself) is refused for BPF_PROG_TYPE_SOCKET_FILTER.
// bpfvet-expect(sockfilter_reads_data): reject "invalid bpf_context access off=80 size=4"
#include "bpfvet.h"

SEC("socket")
int sockfilter_reads_data(struct __sk_buff *skb)
{
	__u8 *data = (void *)(long)skb->data;
	__u8 *end = (void *)(long)skb->data_end;

	if (data + 1 > end)
		return 0;
	return data[0] == 0x45 ? skb->len : 0;
}

BV_DUAL;
