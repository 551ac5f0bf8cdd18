// SPDX-License-Identifier: MIT OR Apache-2.0
// Tail call from a subprogram whose caller chain uses more than 256 bytes of
// stack: mixing tail calls and BPF-to-BPF calls caps the stack at 256.
// bpfvet-expect(tail_call_deep_stack): reject "tail_calls are not allowed when call stack of previous frames is 320 bytes. Too large"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} tc_progs SEC(".maps");

static __noinline int do_jump(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &tc_progs, 0);
	return 0;
}

SEC("tc")
int tail_call_deep_stack(struct __sk_buff *skb)
{
	volatile __u64 buf[40];

	for (int i = 0; i < 40; i++)
		buf[i] = skb->len + i;
	if (buf[skb->mark & 31] == 7)
		return 1;
	return do_jump(skb);
}

BV_DUAL;
