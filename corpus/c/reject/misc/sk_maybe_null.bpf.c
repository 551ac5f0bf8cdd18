// SPDX-License-Identifier: MIT OR Apache-2.0
// skb->sk may be NULL (no socket attached): reading a field through it
// without a check is refused.
// bpfvet-expect(cg_sk_no_null_check): reject "R1 invalid mem access 'sock_common_or_null'"
#include "bpfvet.h"

SEC("cgroup_skb/egress")
int cg_sk_no_null_check(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	return sk->family == 10 ? 0 : 1;
}

BV_DUAL;
