// SPDX-License-Identifier: MIT OR Apache-2.0
// Spilling a pointer with a 4-byte store: pointer spills must be full 8-byte register spills.
// bpfvet-expect(ptr_spill_32bit): reject "invalid size of register spill"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int ptr_spill_32bit(void)
{
	asm volatile (
	"r2 = *(u32 *)(r1 + 0);"
	"*(u32 *)(r10 - 8) = r2;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
