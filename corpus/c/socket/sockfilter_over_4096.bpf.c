// SPDX-License-Identifier: MIT OR Apache-2.0
// A socket filter of about 4,600 instructions (a fully unrolled checksum
// over a fixed pattern). With CAP_BPF the limit is 1M instructions and the
// kernel accepts it; an unprivileged loader is limited to 4,096
// (BPF_MAXINSNS) and gets E2BIG before verification. Its --unprivileged
// finding is a snapshot.
// bpfvet-expect(sockfilter_unrolled): accept
#include "bpfvet.h"

SEC("socket")
int sockfilter_unrolled(struct __sk_buff *skb)
{
	__u32 h = skb->len;
	int i;

#pragma clang loop unroll(full)
	for (i = 0; i < 1150; i++)
		h = (h << 5) ^ (h >> 3) ^ i;
	return h & 0xffff;
}

BV_DUAL;
