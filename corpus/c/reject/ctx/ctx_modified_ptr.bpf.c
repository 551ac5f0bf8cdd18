// SPDX-License-Identifier: MIT OR Apache-2.0
// Dereferencing the ctx pointer after adding a constant to it: ctx must be accessed at R1 + constant offset only.
// bpfvet-expect(ctx_ptr_plus_4): reject "dereference of modified ctx ptr R1 off=4 disallowed"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int ctx_ptr_plus_4(void)
{
	asm volatile (
	"r1 += 4;"
	"r0 = *(u32 *)(r1 + 0);"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
