// SPDX-License-Identifier: MIT OR Apache-2.0
// A cgroup/sysctl program returning a pointer (its ctx) instead of 0/1.
// bpfvet-expect(sysctl_returns_ctx): reject "At program exit the register R0 is not a known value (ctx)"
#include "bpfvet.h"

SEC("cgroup/sysctl")
BV_NAKED int sysctl_returns_ctx(void)
{
	asm volatile (
	"r0 = r1;"
	"exit;"
	::: "memory");
}

BV_DUAL;
