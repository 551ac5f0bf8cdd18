// SPDX-License-Identifier: MIT OR Apache-2.0
// Loading a stack slot that was never written. An unprivileged loader gets
// "invalid read from stack"; a loader with CAP_PERFMON/CAP_BPF (the corpus
// is confirmed as root) has allow_uninit_stack set, so the kernel accepts it.
// An analyser must model the privilege level to get this right.
// bpfvet-expect(read_never_written_slot): accept
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int read_never_written_slot(void)
{
	asm volatile (
	"r0 = *(u64 *)(r10 - 8);"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
