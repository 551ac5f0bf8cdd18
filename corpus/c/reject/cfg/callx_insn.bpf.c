// SPDX-License-Identifier: MIT OR Apache-2.0
// An indirect call (callx): LLVM can encode it, the kernel verifier does not accept it.
// bpfvet-expect(indirect_call): reject "unknown opcode 8d"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int indirect_call(void)
{
	asm volatile (
	"r1 = 0;"
	"callx r1;"
	"r0 = 2;"
	"exit;"
	::: "memory");
}

BV_DUAL;
