// SPDX-License-Identifier: MIT OR Apache-2.0
// A map-fd ld_imm64 (src_reg=BPF_PSEUDO_MAP_FD) whose immediate is not an open map fd (raw encoding, no relocation for the loader to fix).
// bpfvet-expect(ldimm64_bogus_map_fd): reject "fd 9999 is not pointing to valid bpf_map"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int ldimm64_bogus_map_fd(void)
{
	asm volatile (
	".8byte 0x0000270f00001118;"   /* r1 = map_fd(9999), first half */
	".8byte 0x0000000000000000;"
	"r0 = 2;"
	"exit;"
	: : : "memory");
}

BV_DUAL;
