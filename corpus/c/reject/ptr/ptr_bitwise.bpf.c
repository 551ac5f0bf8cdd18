// SPDX-License-Identifier: MIT OR Apache-2.0
// A bitwise AND on a stack pointer (masking an address).
// bpfvet-expect(and_on_stack_ptr): reject "R2 bitwise operator &= on pointer prohibited"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int and_on_stack_ptr(void)
{
	asm volatile (
	"r2 = r10;"
	"r2 &= 0xff0;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
