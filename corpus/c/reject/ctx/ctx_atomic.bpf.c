// SPDX-License-Identifier: MIT OR Apache-2.0
// An atomic add directly on a context field.
// bpfvet-expect(tc_atomic_on_ctx): reject "BPF_ATOMIC stores into R1 ctx is not allowed"
#include "bpfvet.h"

SEC("tc")
BV_NAKED int tc_atomic_on_ctx(void)
{
	asm volatile (
	"r2 = 1;"
	"lock *(u32 *)(r1 + 8) += r2;"
	"r0 = 0;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
