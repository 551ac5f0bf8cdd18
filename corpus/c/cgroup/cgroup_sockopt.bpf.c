// SPDX-License-Identifier: MIT OR Apache-2.0
// sockopt hooks: refuse IP_TOS values with ECN bits on setsockopt, and make
// getsockopt(SOL_CUSTOM) return a fixed 4-byte value written via the
// optval/optval_end window (bounds-checked like packet data).
// bpfvet-expect(setsockopt_tos): accept
// bpfvet-expect(getsockopt_custom): accept
#include "bpfvet.h"

#define SOL_IP 0
#define IP_TOS 1
#define SOL_CUSTOM 0xdeadbeef

SEC("cgroup/setsockopt")
int setsockopt_tos(struct bpf_sockopt *ctx)
{
	__u8 *optval = ctx->optval;
	__u8 *optval_end = ctx->optval_end;

	if (ctx->level != SOL_IP || ctx->optname != IP_TOS)
		return 1;
	if (optval + 1 > optval_end)
		return 1;
	if (optval[0] & 0x3)
		return 0;
	return 1;
}

SEC("cgroup/getsockopt")
int getsockopt_custom(struct bpf_sockopt *ctx)
{
	__u32 *optval = ctx->optval;
	__u32 *optval_end = ctx->optval_end;

	if (ctx->level != (int)SOL_CUSTOM)
		return 1;
	if ((void *)(optval + 1) > (void *)optval_end)
		return 0;
	*optval = 0x5eed;
	ctx->optlen = sizeof(*optval);
	/* keep clang from merging the two 4-byte ctx stores into one 8-byte
	 * store, which the verifier would refuse */
	asm volatile("" ::: "memory");
	ctx->retval = 0;
	return 1;
}

BV_DUAL;
