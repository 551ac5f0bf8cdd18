// SPDX-License-Identifier: MIT OR Apache-2.0
// A 16-byte ld_imm64 whose second half has a non-zero opcode byte: the pair is malformed.
// bpfvet-expect(ldimm64_bad_second): reject "invalid bpf_ld_imm64 insn"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int ldimm64_bad_second(void)
{
	asm volatile (
	".8byte 0x0000000100000018;"   /* ld_imm64 r0, first half (imm = 1) */
	".8byte 0x00000000000000b7;"   /* second half must be all-zero apart from imm */
	"exit;"
	::: "memory");
}

BV_DUAL;
