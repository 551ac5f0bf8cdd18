// SPDX-License-Identifier: MIT OR Apache-2.0
// Writing R10: the frame pointer is read-only.
// bpfvet-expect(write_frame_pointer): reject "frame pointer is read only"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int write_frame_pointer(void)
{
	asm volatile (
	"r10 = 0;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
