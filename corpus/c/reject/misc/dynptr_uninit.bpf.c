// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_dynptr_read from a stack slot that was never initialised as a dynptr.
// bpfvet-expect(dynptr_read_uninit): reject "Expected an initialized dynptr as arg #2"
#include "bpfvet.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
BV_NAKED int dynptr_read_uninit(void)
{
	asm volatile (
	"r1 = r10;"
	"r1 += -8;"
	"r2 = 8;"
	"r3 = r10;"
	"r3 += -32;"
	"r4 = 0;"
	"r5 = 0;"
	"call %[dynptr_read];"
	"r0 = 0;"
	"exit;"
	: : BV_HELPER(dynptr_read) : "memory");
}

BV_GPL;
