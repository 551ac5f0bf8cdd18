// SPDX-License-Identifier: MIT OR Apache-2.0
// An 8-byte atomic add at offset 4 of a map value: atomics need natural alignment.
// bpfvet-expect(atomic_misaligned): reject "misaligned value access off 0+0+4 size 8"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64[2]);
} aval SEC(".maps");

SEC("xdp")
BV_NAKED int atomic_misaligned(void)
{
	asm volatile (
	"r1 = 0;"
	"*(u32 *)(r10 - 4) = r1;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[aval] ll;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto 1f;"
	"r1 = 1;"
	"lock *(u64 *)(r0 + 4) += r1;"
	"1:"
	"r0 = 2;"
	"exit;"
	: : BV_MAP(aval), BV_HELPER(map_lookup_elem) : "memory");
}

BV_DUAL;
