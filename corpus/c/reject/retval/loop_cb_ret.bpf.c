// SPDX-License-Identifier: MIT OR Apache-2.0
// A bpf_loop callback must return 0 (continue) or 1 (stop); this one returns
// the iteration index.
// bpfvet-expect(loop_cb_bad_ret): reject "At callback return the register R0 has unknown scalar value should have been in [0, 1]"
#include "bpfvet.h"

static int bad_step(__u32 idx, void *data)
{
	return idx + 2;
}

SEC("xdp")
int loop_cb_bad_ret(struct xdp_md *ctx)
{
	bpf_loop(8, bad_step, (void *)0, 0);
	return XDP_PASS;
}

BV_DUAL;
