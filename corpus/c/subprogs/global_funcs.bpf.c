// SPDX-License-Identifier: MIT OR Apache-2.0
// Global (non-static) functions are verified once on their own, using only
// their BTF signature: pointer arguments may be NULL and must be checked, a
// ctx argument keeps its type. Called from two programs.
// bpfvet-expect(glob_xdp): accept
// bpfvet-expect(glob_xdp_again): accept
#include "bpfvet.h"

__noinline int parse_len(struct xdp_md *ctx)
{
	if (!ctx)
		return 0;
	return ctx->data_end - ctx->data;
}

__noinline int clamp_store(__u32 *slot, int v)
{
	if (!slot)
		return -1;
	*slot = v < 0 ? 0 : v > 1500 ? 1500 : v;
	return 0;
}

__u32 last_clamped;

SEC("xdp")
int glob_xdp(struct xdp_md *ctx)
{
	clamp_store(&last_clamped, parse_len(ctx));
	return XDP_PASS;
}

SEC("xdp")
int glob_xdp_again(struct xdp_md *ctx)
{
	__u32 tmp = 0;

	if (clamp_store(&tmp, parse_len(ctx) - 64))
		return XDP_DROP;
	return tmp > 100 ? XDP_PASS : XDP_DROP;
}

BV_DUAL;
