// SPDX-License-Identifier: MIT OR Apache-2.0
// Arithmetic on a map pointer (the ld_imm64 map reference) before passing it to a helper.
// bpfvet-expect(map_ptr_plus_8): reject "R1 pointer arithmetic on map_ptr prohibited"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8);
	__type(key, __u64);
	__type(value, __u64);
} ptr_map SEC(".maps");

SEC("xdp")
BV_NAKED int map_ptr_plus_8(void)
{
	asm volatile (
	"r1 = %[ptr_map] ll;"
	"r1 += 8;"
	"r2 = r10;"
	"r2 += -8;"
	"r3 = 0;"
	"*(u64 *)(r10 - 8) = r3;"
	"call %[map_lookup_elem];"
	"r0 = 2;"
	"exit;"
	: : BV_MAP(ptr_map), BV_HELPER(map_lookup_elem) : "memory");
}

BV_DUAL;
