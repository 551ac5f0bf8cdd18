// SPDX-License-Identifier: MIT OR Apache-2.0
// Realistic C that the verifier refuses because of code generation: clang
// merges the two adjacent 4-byte stores to bpf_sockopt->optlen and ->retval
// into one 8-byte store, and ctx fields must be accessed with their own size.
// (cgroup/cgroup_sockopt.bpf.c shows the fix: a compiler barrier.)
// bpfvet-expect(getsockopt_merged_store): reject "invalid bpf_context access off=32 size=8"
#include "bpfvet.h"

SEC("cgroup/getsockopt")
int getsockopt_merged_store(struct bpf_sockopt *ctx)
{
	__u32 *optval = ctx->optval;
	__u32 *optval_end = ctx->optval_end;

	if (ctx->level != 0x1234)
		return 1;
	if ((void *)(optval + 1) > (void *)optval_end)
		return 0;
	*optval = 1;
	ctx->optlen = sizeof(*optval);
	ctx->retval = 0;
	return 1;
}

BV_DUAL;
