// SPDX-License-Identifier: MIT OR Apache-2.0
// Storing through the map pointer itself (the struct bpf_map in the kernel), not through a looked-up value.
// bpfvet-expect(store_through_map_ptr): reject "only read from bpf_array is supported"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} mp SEC(".maps");

SEC("xdp")
BV_NAKED int store_through_map_ptr(void)
{
	asm volatile (
	"r1 = %[mp] ll;"
	"r2 = 0;"
	"*(u64 *)(r1 + 0) = r2;"
	"r0 = 2;"
	"exit;"
	: : BV_MAP(mp) : "memory");
}

BV_DUAL;
