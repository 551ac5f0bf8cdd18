// SPDX-License-Identifier: MIT OR Apache-2.0
// Benchmark: 20,000 iterations of add/multiply/xor/shift on two registers, seeded by the
// packet's length so nothing folds at compile time. Long enough (about 200,000 executed
// instructions) that a test run's per-run set-up is negligible beside the code itself, which
// makes `bpfvet kernel --test-run --repeat` and `bpfvet run --engine jit --repeat`
// comparable per executed instruction (docs/benchmarks.md).
// bpfvet-expect(bench_alu_loop): accept
#include "bpfvet.h"

SEC("xdp")
int bench_alu_loop(struct xdp_md *ctx)
{
	__u64 x = ctx->data_end - ctx->data;
	__u64 y = 1;
	__u32 i;

#pragma clang loop unroll(disable)
	for (i = 0; i < 20000; i++) {
		x += i;
		y = (y * 3) ^ x;
		x ^= y >> 7;
	}
	return (x ^ y) & 1 ? XDP_PASS : XDP_DROP;
}

BV_DUAL;
