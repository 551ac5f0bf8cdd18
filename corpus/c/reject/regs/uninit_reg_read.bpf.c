// SPDX-License-Identifier: MIT OR Apache-2.0
// Reading a register that was never written (R2 at program start holds nothing: only R1 and R10 are set).
// bpfvet-expect(read_uninit_r2): reject "R2 !read_ok"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int read_uninit_r2(void)
{
	asm volatile (
	"r0 = r2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
