// SPDX-License-Identifier: MIT OR Apache-2.0
// The smallest useful XDP program: let every frame through.
// bpfvet-expect(xdp_pass_all): accept
#include "bpfvet.h"

SEC("xdp")
int xdp_pass_all(struct xdp_md *ctx)
{
	return XDP_PASS;
}

BV_DUAL;
