// SPDX-License-Identifier: MIT OR Apache-2.0
// Exiting without setting R0: the return value register was never written.
// bpfvet-expect(exit_without_r0): reject "R0 !read_ok"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int exit_without_r0(void)
{
	asm volatile (
	"exit;"
	: : : "memory");
}

BV_DUAL;
