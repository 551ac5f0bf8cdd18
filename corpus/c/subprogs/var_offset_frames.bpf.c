// SPDX-License-Identifier: MIT OR Apache-2.0
// Caller and callee each use a 320-byte stack buffer, 640 bytes together, in a
// raw_tracepoint program. Kernels from 6.13 on x86-64 may give such programs a
// private stack, where the 512-byte limit holds per function, but builds of
// one release differ: 6.18.44-fc-v1045 accepted this, 6.18.44-fc-v1252 and
// 6.18.44-fc-v1272 reject it ("combined stack size of 2 calls is 640"). The
// expectation is the conservative verdict; the manifest's `kernels` columns
// keep each build's. Same shape in tc: reject/calls/combined_stack.bpf.c.
// bpfvet-expect(var_offset_frames): reject "combined stack size of 2 calls is 640. Too large"
#include "bpfvet.h"

static __noinline __u64 var_callee(__u64 seed)
{
	volatile __u64 buf[40];

	for (int i = 0; i < 40; i++)
		buf[i] = seed + i;
	return buf[seed & 31];
}

__u64 var_stack_out;

SEC("raw_tracepoint/sys_enter")
int var_offset_frames(struct bpf_raw_tracepoint_args *ctx)
{
	volatile __u64 buf[40];

	for (int i = 0; i < 40; i++)
		buf[i] = ctx->args[1] + i;
	var_stack_out = var_callee(buf[ctx->args[1] & 31]);
	return 0;
}

BV_GPL;
