// SPDX-License-Identifier: MIT OR Apache-2.0
// A loop with a data-dependent branch in every iteration and an exactly known counter: no state can be pruned and the pending-branch stack overflows (the jump-sequence limit).
// bpfvet-expect(branchy_loop_too_complex): reject "The sequence of 8193 jumps is too complex."
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int branchy_loop_too_complex(void)
{
	asm volatile (
	"r6 = 0;"
	"1:"
	"call %[get_prandom_u32];"
	"if r0 == 0 goto 2f;"
	"r7 = 1;"
	"2:"
	"r6 += 1;"
	"if r6 < 100000 goto 1b;"
	"r0 = 2;"
	"exit;"
	: : BV_HELPER(get_prandom_u32) : "memory");
}

BV_DUAL;
