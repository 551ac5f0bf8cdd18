// SPDX-License-Identifier: MIT OR Apache-2.0
// cgroup/connect4 programs must return 0 or 1; returning the rewritten port
// by mistake is refused.
// bpfvet-expect(connect4_returns_port): reject "At program exit the register R0 has smin=36895 smax=36895 should have been in [0, 1]"
#include "bpfvet.h"

SEC("cgroup/connect4")
int connect4_returns_port(struct bpf_sock_addr *ctx)
{
	ctx->user_port = bpf_htons(8080);
	return ctx->user_port;
}

BV_DUAL;
