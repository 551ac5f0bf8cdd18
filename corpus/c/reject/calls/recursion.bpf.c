// SPDX-License-Identifier: MIT OR Apache-2.0
// A recursive BPF-to-BPF call: a subprogram in .text that calls itself
// (written in assembly so that clang cannot turn the recursion into a loop).
// bpfvet-expect(recursive_subprog): reject "the call stack of 8 frames is too deep"
#include "bpfvet.h"

static __attribute__((naked, noinline, used)) int self_caller(void)
{
	asm volatile (
	"if r1 == 0 goto 1f;"
	"r1 += -1;"
	"call self_caller;"
	"1:"
	"r0 = 0;"
	"exit;"
	::: "memory");
}

SEC("raw_tracepoint/sys_enter")
BV_NAKED int recursive_subprog(void)
{
	asm volatile (
	"r1 = 3;"
	"call self_caller;"
	"r0 = 0;"
	"exit;"
	::: "memory");
}

BV_GPL;
