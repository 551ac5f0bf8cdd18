// SPDX-License-Identifier: MIT OR Apache-2.0
// Caller and callee each use a 320-byte stack buffer, 640 bytes together,
// in a raw_tracepoint program. The confirming kernel accepts it, while the
// same shape in a tc program is refused with "combined stack size of 2 calls
// is 640. Too large" (reject/calls/combined_stack.bpf.c). Most likely reason:
// recent x86-64 kernels give tracing-type programs a private stack, where the
// 512-byte limit is enforced per subprogram. An analyser must know which
// program types get that treatment.
// bpfvet-expect(var_offset_frames): accept
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
