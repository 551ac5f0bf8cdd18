// SPDX-License-Identifier: MIT OR Apache-2.0
// A conditional jump whose target lies past the last instruction (raw encoding: if r1 == 0 goto +8).
// bpfvet-expect(jump_past_end): reject "jump out of range from insn 1 to 10"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int jump_past_end(void)
{
	asm volatile (
	"r0 = 2;"
	".8byte 0x0000000000080115;"   /* jeq r1, 0, +8 */
	"exit;"
	::: "memory");
}

BV_DUAL;
