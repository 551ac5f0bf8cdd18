// SPDX-License-Identifier: MIT OR Apache-2.0
// Each frame stays under 512 bytes, but caller (320 bytes) plus callee (320
// bytes) exceed the 512-byte combined stack limit. The buffers are touched at
// constant offsets only (unrolled), so each frame's depth is exactly known.
// bpfvet-expect(big_frames): reject "combined stack size of 2 calls is 640. Too large"
#include "bpfvet.h"

static __noinline __u64 big_callee(__u64 seed)
{
	volatile __u64 buf[40];

#pragma unroll
	for (int i = 0; i < 40; i++)
		buf[i] = seed + i;
	return buf[0] + buf[39];
}

__u64 stack_out;

SEC("tc")
int big_frames(struct __sk_buff *skb)
{
	volatile __u64 buf[40];

#pragma unroll
	for (int i = 0; i < 40; i++)
		buf[i] = skb->len + i;
	stack_out = big_callee(buf[0] ^ buf[39]);
	return 0;
}

BV_DUAL;
