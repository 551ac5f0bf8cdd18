// SPDX-License-Identifier: MIT OR Apache-2.0
// Writing __sk_buff->len (offset 0), a read-only field.
// bpfvet-expect(tc_write_skb_len): reject "invalid bpf_context access off=0 size=4"
#include "bpfvet.h"

SEC("tc")
BV_NAKED int tc_write_skb_len(void)
{
	asm volatile (
	"r2 = 0;"
	"*(u32 *)(r1 + 0) = r2;"
	"r0 = 0;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
