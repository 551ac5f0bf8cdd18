// SPDX-License-Identifier: MIT OR Apache-2.0
// Using R1 after a helper call: calls clobber R1-R5, so R1 is unreadable afterwards.
// bpfvet-expect(r1_after_helper): reject "R1 !read_ok"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int r1_after_helper(void)
{
	asm volatile (
	"r6 = r1;"
	"call %[ktime_get_ns];"
	"r0 = *(u32 *)(r1 + 0);"
	"r0 = 2;"
	"exit;"
	: : BV_HELPER(ktime_get_ns) : "memory");
}

BV_DUAL;
