// SPDX-License-Identifier: MIT OR Apache-2.0
// A jump to before the first instruction (raw encoding: goto -5 at insn 1).
// bpfvet-expect(backward_jump_out): reject "jump out of range from insn 1 to -3"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int backward_jump_out(void)
{
	asm volatile (
	"r0 = 2;"
	".8byte 0x00000000fffb0005;"   /* ja -5 */
	"exit;"
	::: "memory");
}

BV_DUAL;
