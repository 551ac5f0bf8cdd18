// SPDX-License-Identifier: MIT OR Apache-2.0
// Dereferencing a plain integer as if it were a pointer.
// bpfvet-expect(deref_integer): reject "R1 invalid mem access 'scalar'"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int deref_integer(void)
{
	asm volatile (
	"r1 = 4096;"
	"r0 = *(u64 *)(r1 + 0);"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
