// SPDX-License-Identifier: MIT OR Apache-2.0
// Dead code after the final exit: the CFG check finds an instruction no path reaches.
// bpfvet-expect(unreachable_tail): reject "unreachable insn 2"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int unreachable_tail(void)
{
	asm volatile (
	"r0 = 2;"
	"exit;"
	"r0 = 1;"
	"exit;"
	::: "memory");
}

BV_DUAL;
