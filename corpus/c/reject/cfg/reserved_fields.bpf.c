// SPDX-License-Identifier: MIT OR Apache-2.0
// A register-source ALU instruction (r0 += r1) with a non-zero immediate, a reserved field.
// bpfvet-expect(alu_reserved_fields): reject "BPF_ALU uses reserved fields"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int alu_reserved_fields(void)
{
	asm volatile (
	"r0 = 2;"
	"r1 = 0;"
	".8byte 0x000000070000100f;"   /* r0 += r1 with imm = 7 */
	"exit;"
	::: "memory");
}

BV_DUAL;
