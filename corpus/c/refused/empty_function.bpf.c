// SPDX-License-Identifier: MIT OR Apache-2.0
// A program with no instructions at all (a naked function whose body was
// left empty) next to an ordinary one in the same section. libbpf refuses the
// whole object at open ("corrupted program ..., size 0"); the kernel refuses
// an empty instruction array with E2BIG before any verification.
// bpfvet-expect(xdp_empty): refused "libbpf: corrupted program 'xdp_empty', size 0"
// bpfvet-expect(xdp_after_empty): refused "libbpf: the object is refused at open because of xdp_empty"
#include "bpfvet.h"

SEC("xdp")
BV_NAKED int xdp_empty(void)
{
	asm volatile ("" : : : "memory");
}

SEC("xdp")
int xdp_after_empty(struct xdp_md *ctx)
{
	return XDP_PASS;
}

BV_DUAL;
