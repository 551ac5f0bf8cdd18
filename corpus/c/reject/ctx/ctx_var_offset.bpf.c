// SPDX-License-Identifier: MIT OR Apache-2.0
// Adding an unknown scalar to the ctx pointer before a load.
// bpfvet-expect(ctx_variable_offset): reject "variable ctx access var_off=(0x0; 0x4) disallowed"
#include "bpfvet.h"

SEC("tc")
BV_NAKED int ctx_variable_offset(void)
{
	asm volatile (
	"r6 = r1;"
	"call %[get_prandom_u32];"
	"r0 &= 4;"
	"r6 += r0;"
	"r0 = *(u32 *)(r6 + 0);"
	"r0 = 0;"
	"exit;"
	: : BV_HELPER(get_prandom_u32) : "memory");
}

BV_DUAL;
