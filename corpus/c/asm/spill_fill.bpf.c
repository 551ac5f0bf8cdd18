// SPDX-License-Identifier: MIT OR Apache-2.0
// Register spills and fills written in BPF assembly: a ctx pointer and a
// packet pointer survive a round trip through the stack with their types,
// a map value pointer after the NULL check too, and a spilled constant
// keeps its known value (it bounds a packet access after the fill).
// bpfvet-expect(asm_spill_ptrs): accept
// bpfvet-expect(asm_spill_const): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} spill_map SEC(".maps");

SEC("xdp")
BV_NAKED int asm_spill_ptrs(void)
{
	asm volatile (
	"*(u64 *)(r10 - 8) = r1;"      /* spill ctx */
	"r2 = 0;"
	"*(u32 *)(r10 - 12) = r2;"
	"r2 = r10;"
	"r2 += -12;"
	"r1 = %[spill_map] ll;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto 1f;"
	"*(u64 *)(r10 - 24) = r0;"     /* spill map value ptr */
	"r6 = *(u64 *)(r10 - 24);"     /* fill it back */
	"r7 = *(u64 *)(r6 + 0);"
	"r7 += 1;"
	"*(u64 *)(r6 + 0) = r7;"
	"1:"
	"r1 = *(u64 *)(r10 - 8);"      /* fill ctx */
	"r2 = *(u32 *)(r1 + 0);"       /* ctx->data */
	"r3 = *(u32 *)(r1 + 4);"       /* ctx->data_end */
	"*(u64 *)(r10 - 16) = r2;"     /* spill pkt ptr */
	"r4 = r2;"
	"r4 += 14;"
	"if r4 > r3 goto 2f;"
	"r5 = *(u64 *)(r10 - 16);"     /* fill pkt ptr: range carried through the spill */
	"r0 = *(u16 *)(r5 + 12);"
	"2:"
	"r0 = 2;"
	"exit;"
	:
	: BV_MAP(spill_map), BV_HELPER(map_lookup_elem)
	: "memory");
}

SEC("xdp")
BV_NAKED int asm_spill_const(void)
{
	asm volatile (
	"r2 = *(u32 *)(r1 + 0);"
	"r3 = *(u32 *)(r1 + 4);"
	"r6 = 20;"
	"*(u64 *)(r10 - 8) = r6;"      /* spill a known constant */
	"r4 = r2;"
	"r4 += 20;"
	"if r4 > r3 goto 1f;"
	"r7 = *(u64 *)(r10 - 8);"      /* fill: still the constant 20 */
	"r7 += -4;"
	"r2 += r7;"                    /* pkt + 16: within the checked 20 bytes */
	"r0 = *(u32 *)(r2 + 0);"
	"1:"
	"r0 = 2;"
	"exit;"
	::: "memory");
}

BV_DUAL;
