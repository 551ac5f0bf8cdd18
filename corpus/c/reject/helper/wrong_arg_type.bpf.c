// SPDX-License-Identifier: MIT OR Apache-2.0
// Passing the context pointer where bpf_map_lookup_elem expects a map pointer.
// bpfvet-expect(ctx_as_map): reject "R1 type=ctx expected=map_ptr"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int ctx_as_map(void)
{
	asm volatile (
	"r2 = r10;"
	"r2 += -8;"
	"r3 = 0;"
	"*(u64 *)(r10 - 8) = r3;"
	"call %[map_lookup_elem];"
	"r0 = 2;"
	"exit;"
	: : BV_HELPER(map_lookup_elem) : "memory");
}

BV_DUAL;
