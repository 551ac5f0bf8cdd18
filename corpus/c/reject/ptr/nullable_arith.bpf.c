// SPDX-License-Identifier: MIT OR Apache-2.0
// Adding to the result of a hash map lookup before checking it for NULL.
// bpfvet-expect(arith_before_null_check): reject "R0 pointer arithmetic on map_value_or_null prohibited, null-check it first"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u64);
	__type(value, __u64);
} ptr_map SEC(".maps");

SEC("xdp")
BV_NAKED int arith_before_null_check(void)
{
	asm volatile (
	"r1 = 0;"
	"*(u64 *)(r10 - 8) = r1;"
	"r2 = r10;"
	"r2 += -8;"
	"r1 = %[ptr_map] ll;"
	"call %[map_lookup_elem];"
	"r0 += 8;"
	"if r0 == 0 goto 1f;"
	"1:"
	"r0 = 2;"
	"exit;"
	: : BV_MAP(ptr_map), BV_HELPER(map_lookup_elem) : "memory");
}

BV_DUAL;
