// SPDX-License-Identifier: MIT OR Apache-2.0
// A store 520 bytes below the frame pointer: past the 512-byte stack.
// bpfvet-expect(write_below_512): reject "invalid write to stack R10 off=-520 size=8"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int write_below_512(void)
{
	asm volatile (
	"r1 = 1;"
	"*(u64 *)(r10 - 520) = r1;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
