// SPDX-License-Identifier: MIT OR Apache-2.0
// skb->sk is only a sock_common: reading a full-socket field (sk->state is
// fine, sk->priority is not) needs bpf_sk_fullsock first.
// bpfvet-expect(cg_sk_priority_without_fullsock): reject "R1 invalid sock_common access off=20 size=4"
#include "bpfvet.h"

SEC("cgroup_skb/egress")
int cg_sk_priority_without_fullsock(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return 1;
	return sk->priority > 6 ? 0 : 1;
}

BV_DUAL;
