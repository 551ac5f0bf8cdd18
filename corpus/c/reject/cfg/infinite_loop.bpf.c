// SPDX-License-Identifier: MIT OR Apache-2.0
// A jump to itself: bounded-loop support only accepts loops that make progress; the verifier sees the same state again.
// bpfvet-expect(self_loop): reject "infinite loop detected at insn 1"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int self_loop(void)
{
	asm volatile (
	"r0 = 2;"
	"1:"
	"goto 1b;"
	::: "memory");
}

BV_DUAL;
