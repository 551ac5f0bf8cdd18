// SPDX-License-Identifier: MIT OR Apache-2.0
// Helper arguments the kernel accepts once it has refined them: a map key on
// the stack at a variable offset (privileged: every offset it may take is in
// the frame and written), and a second lookup's result that equals a checked
// one, which is then not NULL either (only the compared register learns it).
// bpfvet-expect(stack_key_variable_offset): accept
// bpfvet-expect(equal_to_checked_pointer): accept
// bpfvet-expect(copy_of_unchecked_pointer): reject "R6 invalid mem access 'map_value_or_null'"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, __u64);
	__type(value, __u64);
} refined_map SEC(".maps");

SEC("xdp")
BV_NAKED int stack_key_variable_offset(void)
{
	asm volatile (
	"r2 = 0;"
	"*(u64 *)(r10 - 16) = r2;"
	"*(u64 *)(r10 - 8) = r2;"
	"w2 = *(u32 *)(r1 + 12);"      /* ctx->ingress_ifindex: any number */
	"r2 &= 4;"                     /* 0 or 4 */
	"r2 += -16;"
	"r2 += r10;"                   /* fp-16 or fp-12: the key's 8 bytes are written */
	"r1 = %[refined_map] ll;"
	"call %[map_lookup_elem];"
	"r0 = 2;"
	"exit;"
	:
	: BV_MAP(refined_map), BV_HELPER(map_lookup_elem)
	: "memory");
}

SEC("xdp")
BV_NAKED int equal_to_checked_pointer(void)
{
	asm volatile (
	"r1 = 0;"
	"*(u64 *)(r10 - 8) = r1;"
	"r1 = %[refined_map] ll;"
	"r2 = r10;"
	"r2 += -8;"
	"call %[map_lookup_elem];"
	"r6 = r0;"
	"r1 = %[refined_map] ll;"
	"r2 = r10;"
	"r2 += -8;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto 1f;"
	"if r0 != r6 goto 1f;"         /* equal to a pointer that is not NULL */
	"r0 = *(u64 *)(r6 + 0);"
	"1:"
	"r0 = 2;"
	"exit;"
	:
	: BV_MAP(refined_map), BV_HELPER(map_lookup_elem)
	: "memory");
}

SEC("xdp")
BV_NAKED int copy_of_unchecked_pointer(void)
{
	asm volatile (
	"r1 = 0;"
	"*(u64 *)(r10 - 8) = r1;"
	"r1 = %[refined_map] ll;"
	"r2 = r10;"
	"r2 += -8;"
	"call %[map_lookup_elem];"
	"r6 = r0;"
	"r7 = r0;"                     /* a copy: the compare below teaches it nothing */
	"r1 = %[refined_map] ll;"
	"r2 = r10;"
	"r2 += -8;"
	"call %[map_lookup_elem];"
	"if r0 == 0 goto 1f;"
	"if r0 != r7 goto 1f;"
	"r0 = *(u64 *)(r6 + 0);"
	"1:"
	"r0 = 2;"
	"exit;"
	:
	: BV_MAP(refined_map), BV_HELPER(map_lookup_elem)
	: "memory");
}

BV_DUAL;
