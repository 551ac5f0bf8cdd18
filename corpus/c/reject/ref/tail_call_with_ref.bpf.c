// SPDX-License-Identifier: MIT OR Apache-2.0
// A tail call while holding a socket reference: the tail call never returns,
// so the reference could never be released.
// bpfvet-expect(tail_call_holding_sk): reject "tail_call would lead to reference leak"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} next_progs SEC(".maps");

SEC("tc")
int tail_call_holding_sk(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;

	sk = bpf_sk_lookup_udp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (!sk)
		return 0;
	bpf_tail_call(skb, &next_progs, 0);
	bpf_sk_release(sk);
	return 0;
}

BV_DUAL;
