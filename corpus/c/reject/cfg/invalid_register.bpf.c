// SPDX-License-Identifier: MIT OR Apache-2.0
// An instruction naming register 11, which does not exist (raw encoding: r11 = 0).
// bpfvet-expect(bad_dst_register): reject "R11 is invalid"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int bad_dst_register(void)
{
	asm volatile (
	"r0 = 2;"
	".8byte 0x00000000000000b7 | 0xb00;"   /* mov r11, 0 */
	"exit;"
	::: "memory");
}

BV_DUAL;
