// SPDX-License-Identifier: MIT OR Apache-2.0
// Multiplying a pointer.
// bpfvet-expect(mul_on_ctx_ptr): reject "R1 pointer arithmetic with *= operator prohibited"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int mul_on_ctx_ptr(void)
{
	asm volatile (
	"r1 *= 2;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
