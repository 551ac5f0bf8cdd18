// SPDX-License-Identifier: MIT OR Apache-2.0
// Subtracting a pointer from a scalar (5 - fp).
// bpfvet-expect(scalar_minus_fp): reject "R0 tried to subtract pointer from scalar"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int scalar_minus_fp(void)
{
	asm volatile (
	"r0 = 5;"
	"r0 -= r10;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
