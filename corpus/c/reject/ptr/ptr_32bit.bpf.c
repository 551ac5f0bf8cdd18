// SPDX-License-Identifier: MIT OR Apache-2.0
// 32-bit arithmetic on a pointer register (w2 += 4 on a stack pointer).
// bpfvet-expect(alu32_on_pointer): reject "R2 32-bit pointer arithmetic prohibited"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int alu32_on_pointer(void)
{
	asm volatile (
	"r2 = r10;"
	"w2 += 4;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
