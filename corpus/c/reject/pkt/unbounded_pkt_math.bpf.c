// SPDX-License-Identifier: MIT OR Apache-2.0
// Adding a value with no known bounds (the 64-bit result of bpf_ktime_get_ns) to a packet pointer.
// bpfvet-expect(pkt_plus_unbounded): reject "math between pkt pointer and register with unbounded min value is not allowed"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int pkt_plus_unbounded(void)
{
	asm volatile (
	"r6 = *(u32 *)(r1 + 0);"
	"call %[ktime_get_ns];"
	"r6 += r0;"
	"r0 = 2;"
	"exit;"
	: : BV_HELPER(ktime_get_ns) : "memory");
}

BV_DUAL;
