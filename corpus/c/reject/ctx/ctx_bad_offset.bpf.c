// SPDX-License-Identifier: MIT OR Apache-2.0
// Reading struct xdp_md at offset 100, far past its last field.
// bpfvet-expect(xdp_ctx_off_100): reject "invalid bpf_context access off=100 size=4"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int xdp_ctx_off_100(void)
{
	asm volatile (
	"r0 = *(u32 *)(r1 + 100);"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
