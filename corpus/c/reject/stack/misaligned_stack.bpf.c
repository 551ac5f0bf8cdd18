// SPDX-License-Identifier: MIT OR Apache-2.0
// An 8-byte stack store at fp-12: stack accesses must be naturally aligned.
// bpfvet-expect(misaligned_stack_store): reject "misaligned stack access off 0+0+-12 size 8"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int misaligned_stack_store(void)
{
	asm volatile (
	"r1 = 1;"
	"*(u64 *)(r10 - 12) = r1;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
