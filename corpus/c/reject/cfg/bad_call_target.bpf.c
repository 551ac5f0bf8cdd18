// SPDX-License-Identifier: MIT OR Apache-2.0
// A helper call with an id no kernel defines (999999).
// bpfvet-expect(call_bad_helper_id): reject "invalid func unknown#999999"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int call_bad_helper_id(void)
{
	asm volatile (
	"call 999999;"
	"r0 = 2;"
	"exit;"
	::: "memory");
}

BV_DUAL;
