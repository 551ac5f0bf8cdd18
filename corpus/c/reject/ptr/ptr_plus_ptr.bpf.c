// SPDX-License-Identifier: MIT OR Apache-2.0
// Adding two pointers (frame pointer + ctx pointer).
// bpfvet-expect(stack_plus_ctx): reject "R2 pointer += pointer prohibited"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int stack_plus_ctx(void)
{
	asm volatile (
	"r2 = r10;"
	"r2 += r1;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
