// SPDX-License-Identifier: MIT OR Apache-2.0
// A loop whose counter the verifier knows exactly: it walks every iteration, 2^28 of them, and gives up at the 1,000,000 processed-instruction limit.
// bpfvet-expect(counted_loop_too_long): reject "BPF program is too large. Processed 1000001 insn"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int counted_loop_too_long(void)
{
	asm volatile (
	"r6 = 0;"
	"1:"
	"r6 += 1;"
	"if r6 < 0x10000000 goto 1b;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
