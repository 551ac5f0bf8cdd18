// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_probe_read_kernel with a size taken from an unbounded register (a kprobe argument).
// bpfvet-expect(probe_read_unbounded_size): reject "R2 min value is negative, either use unsigned or 'var &= const'"
#include "bpfvet.h"

SEC("kprobe/do_nanosleep")
BV_NAKED int probe_read_unbounded_size(void)
{
	asm volatile (
	"r6 = *(u64 *)(r1 + 112);"   /* pt_regs->rdi */
	"r1 = r10;"
	"r1 += -64;"
	"r2 = r6;"
	"r3 = 0;"
	"call %[probe_read_kernel];"
	"r0 = 0;"
	"exit;"
	: : BV_HELPER(probe_read_kernel) : "memory");
}

BV_GPL;
