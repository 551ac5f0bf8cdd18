// SPDX-License-Identifier: MIT OR Apache-2.0
// Socket filters that only a privileged loader may load: one stores a stack address into a map
// (a pointer leak for unprivileged users), one reads the stack at a variable offset. The
// kernel accepts both as root; `bpfvet check --unprivileged` rejects them.
// bpfvet-expect(priv_ptr_store): accept
// bpfvet-expect(priv_var_stack): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} addr_sink SEC(".maps");

SEC("socket")
BV_NAKED int priv_ptr_store(void)
{
	asm volatile (
	"r1 = 0;"
	"*(u32 *)(r10 - 4) = r1;"
	"r2 = r10;"
	"r2 += -4;"
	"r1 = %[addr_sink] ll;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto 1f;"
	"*(u64 *)(r0 + 0) = r10;"
	"1:"
	"r0 = 0;"
	"exit;"
	:
	: BV_MAP(addr_sink), BV_HELPER(map_lookup_elem)
	: "memory");
}

SEC("socket")
BV_NAKED int priv_var_stack(void)
{
	asm volatile (
	"r2 = 0;"
	"*(u64 *)(r10 - 8) = r2;"
	"*(u64 *)(r10 - 16) = r2;"
	"r2 = *(u32 *)(r1 + 0);"
	"r2 &= 8;"
	"r3 = r10;"
	"r3 += -16;"
	"r3 += r2;"
	"r0 = *(u64 *)(r3 + 0);"
	"r0 = 0;"
	"exit;"
	::: "memory");
}

BV_DUAL;
