// SPDX-License-Identifier: MIT OR Apache-2.0
// A hand-assembled program whose bpf-to-bpf call (src_reg 1, "pseudo call")
// points 100 instructions ahead, past the end of the object's code: what a
// bad hand edit or a broken linker leaves. libbpf refuses it while relocating
// calls; the kernel, given these instructions, says "call to invalid
// destination" (add_subprog's range check).
// bpfvet-expect(xdp_dangling_call): refused "libbpf: no .text section found yet sub-program call exists"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int xdp_dangling_call(void)
{
	asm volatile (
	"r0 = 2;"
	/* call pc+100, encoded by hand: the assembler would not emit it */
	".byte 0x85, 0x10, 0x00, 0x00, 0x64, 0x00, 0x00, 0x00;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
