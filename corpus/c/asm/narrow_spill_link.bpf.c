// SPDX-License-Identifier: MIT OR Apache-2.0
// Narrow spills and fills keep the register (Linux 6.8+, privileged): a 4-byte
// spill of a value that fits in 32 bits stays linked to its register, so a
// bound learned on the register holds for the filled copy, and the branch that
// reads the never-written r9 is dead. A 4-byte fill of a 64-bit spill whose
// high bits may be set is not linked: that branch is live and the kernel
// refuses the read of r9. A static function may return without writing r0; only
// a read of r0 in the caller is an error.
// bpfvet-expect(narrow_spill_keeps_link): accept
// bpfvet-expect(narrow_fill_cuts_link): reject "R9 !read_ok"
// bpfvet-expect(callee_without_r0): accept
// bpfvet-expect(caller_reads_callee_r0): reject "R0 !read_ok"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int narrow_spill_keeps_link(void)
{
	asm volatile (
	"call %[get_prandom_u32];"
	"r0 &= 0xffff;"
	"*(u32 *)(r10 - 8) = w0;"      /* narrow spill: r0 and the slot share an id */
	"if r0 < 1 goto 1f;"           /* r0 >= 1 below, and so is the spilled copy */
	"w1 = *(u32 *)(r10 - 8);"      /* narrow fill restores it */
	"if r1 >= 1 goto 1f;"          /* always taken */
	"r0 = *(u64 *)(r9 + 0);"       /* dead: r9 was never written */
	"1:"
	"r0 = 2;"
	"exit;"
	:
	: BV_HELPER(get_prandom_u32)
	: "memory");
}

SEC("xdp")
BV_NAKED int narrow_fill_cuts_link(void)
{
	asm volatile (
	"call %[ktime_get_ns];"
	"*(u64 *)(r10 - 8) = r0;"      /* 64-bit spill of any value */
	"if r0 < 1 goto 1f;"
	"w1 = *(u32 *)(r10 - 8);"      /* the low half: may be 0 although r0 is not */
	"if r1 >= 1 goto 1f;"
	"r0 = *(u64 *)(r9 + 0);"       /* reachable */
	"1:"
	"r0 = 2;"
	"exit;"
	:
	: BV_HELPER(ktime_get_ns)
	: "memory");
}

static __attribute__((naked, noinline, used)) int no_r0(void)
{
	asm volatile ("exit;" ::: "memory");
}

SEC("xdp")
BV_NAKED int callee_without_r0(void)
{
	asm volatile (
	"call no_r0;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

SEC("xdp")
BV_NAKED int caller_reads_callee_r0(void)
{
	asm volatile (
	"call no_r0;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
