// SPDX-License-Identifier: MIT OR Apache-2.0
// A 32-bit shift by an immediate of 40: wider than the operand, which the kernel refuses.
// bpfvet-expect(shift_imm_40): reject "invalid shift 40"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int shift_imm_40(void)
{
	asm volatile (
	"w0 = 1;"
	"w0 <<= 40;"
	"r0 = 2;"
	"exit;"
	::: "memory");
}

BV_DUAL;
