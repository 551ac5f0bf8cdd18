// SPDX-License-Identifier: MIT OR Apache-2.0
// may_goto (Linux 6.9): a jump the kernel takes once a hidden per-frame counter
// runs out, so a loop broken by it needs no bound the verifier can see. The
// kernel verifies it as a loop that may stop at every iteration: the body is
// explored until its state at the may_goto repeats (imprecise scalars widened).
// bpfvet-expect(xdp_may_goto_scan): accept
// bpfvet-expect(xdp_may_goto_oob): reject "invalid access to map value"
// bpfvet-expect(xdp_may_goto_count): accept
#include "bpfvet.h"

/* may_goto is opcode 0xe5 (BPF_JMP | BPF_JCOND, src BPF_MAY_GOTO = 0) with a
 * 16-bit offset in instructions after this one and a zero imm. The assembler
 * resolves the label difference only in a 4-byte directive: it fills the
 * offset and the low half of imm (zero), a 2-byte zero the rest. */
#define break_when_budget_out(label)                                        \
	asm volatile goto("1: .byte 0xe5; .byte 0;"                             \
			  " .long ((%l[" #label "] - 1b - 8) / 8) & 0xffff;"    \
			  " .short 0" :::: label)

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[16]);
} bytes SEC(".maps");

volatile __u32 start;

/* Sums bytes until a zero one, with no bound but may_goto's. */
SEC("xdp")
int xdp_may_goto_scan(struct xdp_md *ctx)
{
	__u32 zero = 0, sum = 0;
	__u32 i = start;
	__u8 *b = bpf_map_lookup_elem(&bytes, &zero);

	if (!b)
		return XDP_PASS;
	for (;;) {
		if (i >= 16)
			break;
		if (!b[i])
			break;
		sum += b[i];
		i++;
		break_when_budget_out(out);
	}
out:
	return sum & 1 ? XDP_DROP : XDP_PASS;
}

/* The bound is checked after the access: the second iteration may read past
 * the end. */
SEC("xdp")
int xdp_may_goto_oob(struct xdp_md *ctx)
{
	__u32 zero = 0, sum = 0;
	__u64 i = 0;
	__u8 *b = bpf_map_lookup_elem(&bytes, &zero);

	if (!b)
		return XDP_PASS;
	for (;;) {
		sum += b[i];
		i += 12;
		break_when_budget_out(out);
		if (i > 24)
			break;
	}
out:
	return sum & 1 ? XDP_DROP : XDP_PASS;
}

/* No exit but may_goto: the counter's state at the may_goto repeats once it
 * is widened, which ends the verification. */
SEC("xdp")
int xdp_may_goto_count(struct xdp_md *ctx)
{
	__u32 n = start;

	for (;;) {
		n++;
		break_when_budget_out(out);
	}
out:
	return n & 1 ? XDP_DROP : XDP_PASS;
}

BV_DUAL;
