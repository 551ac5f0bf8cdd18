// SPDX-License-Identifier: MIT OR Apache-2.0
// A store at a positive offset from R10, above the frame.
// bpfvet-expect(write_above_fp): reject "invalid write to stack R10 off=8 size=8"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int write_above_fp(void)
{
	asm volatile (
	"r1 = 1;"
	"*(u64 *)(r10 + 8) = r1;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
