// SPDX-License-Identifier: MIT OR Apache-2.0
// Writing to a const global: .rodata is frozen (BPF_F_RDONLY_PROG) by the
// loader, so program stores into it are refused. The write is hidden from
// clang by an asm barrier on the pointer.
// bpfvet-expect(write_const_global): reject "write into map forbidden, value_size=4 off=0 size=4"
#include "bpfvet.h"

const volatile __u32 limit = 10;

SEC("xdp")
int write_const_global(struct xdp_md *ctx)
{
	__u32 *p = (__u32 *)&limit;

	asm volatile("" : "+r"(p));
	*p = 20;
	return XDP_PASS;
}

BV_DUAL;
