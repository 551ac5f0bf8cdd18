// SPDX-License-Identifier: MIT OR Apache-2.0
// Arithmetic on the packet-end pointer (data_end + 1).
// bpfvet-expect(pkt_end_plus_1): reject "R3 pointer arithmetic on pkt_end prohibited"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int pkt_end_plus_1(void)
{
	asm volatile (
	"r3 = *(u32 *)(r1 + 4);"
	"r3 += 1;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
