// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_loop whose callback argument is a plain number instead of a function reference.
// bpfvet-expect(bpf_loop_scalar_cb): reject "R2 type=scalar expected=func"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int bpf_loop_scalar_cb(void)
{
	asm volatile (
	"r1 = 4;"
	"r2 = 0;"
	"r3 = 0;"
	"r4 = 0;"
	"call %[loop];"
	"r0 = 2;"
	"exit;"
	: : BV_HELPER(loop) : "memory");
}

BV_DUAL;
