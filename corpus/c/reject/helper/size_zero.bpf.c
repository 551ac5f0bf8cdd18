// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_get_current_comm with size 0: its size argument must be strictly positive.
// bpfvet-expect(comm_zero_size): reject "R2 invalid zero-sized read"
#include "bpfvet.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
BV_NAKED int comm_zero_size(void)
{
	asm volatile (
	"r1 = r10;"
	"r1 += -16;"
	"r2 = 0;"
	"call %[get_current_comm];"
	"r0 = 0;"
	"exit;"
	: : BV_HELPER(get_current_comm) : "memory");
}

BV_GPL;
