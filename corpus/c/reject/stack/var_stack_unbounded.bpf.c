// SPDX-License-Identifier: MIT OR Apache-2.0
// A stack store at a variable offset whose range is unknown (fp + unknown scalar).
// bpfvet-expect(var_offset_stack_write): reject "math between fp pointer and register with unbounded min value is not allowed"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int var_offset_stack_write(void)
{
	asm volatile (
	"call %[get_prandom_u32];"
	"r2 = r10;"
	"r2 += r0;"
	"r1 = 0;"
	"*(u64 *)(r2 - 8) = r1;"
	"r0 = 2;"
	"exit;"
	: : BV_HELPER(get_prandom_u32) : "memory");
}

BV_DUAL;
