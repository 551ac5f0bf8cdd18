// SPDX-License-Identifier: MIT OR Apache-2.0
// An instruction byte that encodes no BPF opcode (0xff).
// bpfvet-expect(bad_opcode): reject "unknown opcode ff"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int bad_opcode(void)
{
	asm volatile (
	"r0 = 2;"
	".8byte 0x00000000000000ff;"
	"exit;"
	::: "memory");
}

BV_DUAL;
