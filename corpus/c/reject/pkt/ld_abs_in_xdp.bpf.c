// SPDX-License-Identifier: MIT OR Apache-2.0
// The legacy LD_ABS packet load used from XDP: those instructions exist only
// for socket-filter-like skb programs.
// bpfvet-expect(xdp_ld_abs): reject "BPF_LD_[ABS|IND] instructions not allowed for this program type"
#include "bpfvet.h"

unsigned long long ld_abs_u8(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");

SEC("xdp")
int xdp_ld_abs(struct xdp_md *ctx)
{
	return ld_abs_u8(ctx, 23) == 6 ? XDP_DROP : XDP_PASS;
}

BV_DUAL;
