// SPDX-License-Identifier: MIT OR Apache-2.0
// Division by an immediate zero: the kernel refuses it at load time (a register divisor of zero
// is allowed and yields 0 at run time).
// bpfvet-expect(div_imm_zero): reject "div by zero"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int div_imm_zero(void)
{
	asm volatile (
	"r0 = 10;"
	"r0 /= 0;"
	"r0 = 2;"
	"exit;"
	::: "memory");
}

BV_DUAL;
