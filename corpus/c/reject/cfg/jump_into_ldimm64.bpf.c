// SPDX-License-Identifier: MIT OR Apache-2.0
// A jump landing on the second half of a 16-byte ld_imm64 instruction (raw encoding).
// bpfvet-expect(jump_mid_ldimm64): reject "jump into the middle of ldimm64 insn 1"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int jump_mid_ldimm64(void)
{
	asm volatile (
	".8byte 0x0000000000010015;"   /* if r0 == 0 goto +1 (into the ld_imm64 tail) */
	"r0 = 0x1234567890 ll;"
	"r0 = 2;"
	"exit;"
	::: "memory");
}

BV_DUAL;
