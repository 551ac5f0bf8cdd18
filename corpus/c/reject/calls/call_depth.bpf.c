// SPDX-License-Identifier: MIT OR Apache-2.0
// Nine nested BPF-to-BPF calls: the verifier allows at most 8 frames.
// bpfvet-expect(nine_frames): reject "the call stack of 9 frames is too deep"
#include "bpfvet.h"

#define LEVEL(n, next) \
	static __noinline __u64 lvl##n(__u64 x) { return next(x + n) ^ n; }

static __noinline __u64 lvl9(__u64 x) { return x * 3; }
LEVEL(8, lvl9)
LEVEL(7, lvl8)
LEVEL(6, lvl7)
LEVEL(5, lvl6)
LEVEL(4, lvl5)
LEVEL(3, lvl4)
LEVEL(2, lvl3)
LEVEL(1, lvl2)

__u64 depth_out;

SEC("raw_tracepoint/sys_enter")
int nine_frames(struct bpf_raw_tracepoint_args *ctx)
{
	depth_out = lvl1(ctx->args[1]);
	return 0;
}

BV_GPL;
