// SPDX-License-Identifier: MIT OR Apache-2.0
// The last instruction is neither exit nor a jump: control would fall off the end of the program.
// bpfvet-expect(fall_off_end): reject "last insn is not an exit or jmp"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int fall_off_end(void)
{
	asm volatile (
	"r0 = 2;"
	"r0 += 1;"
	::: "memory");
}

BV_DUAL;
