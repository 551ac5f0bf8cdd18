// SPDX-License-Identifier: MIT OR Apache-2.0
// A chain of four BPF-to-BPF calls, each with its own stack frame; the
// combined stack stays below 512 bytes.
// bpfvet-expect(call_chain): accept
#include "bpfvet.h"

static __noinline __u64 level3(__u64 x)
{
	volatile __u64 buf[8];

	for (int i = 0; i < 8; i++)
		buf[i] = x + i;
	return buf[x & 7];
}

static __noinline __u64 level2(__u64 x)
{
	volatile __u64 buf[8];

	buf[0] = level3(x + 1);
	buf[7] = x;
	return buf[0] + buf[7];
}

static __noinline __u64 level1(__u64 x)
{
	volatile __u64 buf[8];

	buf[3] = level2(x * 3);
	return buf[3] ^ x;
}

__u64 chain_out;

SEC("raw_tracepoint/sys_enter")
int call_chain(struct bpf_raw_tracepoint_args *ctx)
{
	chain_out = level1(ctx->args[1]);
	return 0;
}

BV_GPL;
