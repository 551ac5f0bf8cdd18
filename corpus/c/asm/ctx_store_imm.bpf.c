// SPDX-License-Identifier: MIT OR Apache-2.0
// A BPF_ST (store immediate) into a writable context field (skb->mark).
// Older kernels refused BPF_ST into ctx ("BPF_ST stores into R1 ctx is not
// allowed"); the kernel this corpus is confirmed on accepts it.
// bpfvet-expect(tc_st_imm_into_ctx): accept
#include "bpfvet.h"

SEC("tc")
BV_NAKED int tc_st_imm_into_ctx(void)
{
	asm volatile (
	"*(u32 *)(r1 + 8) = 1;"
	"r0 = 0;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
