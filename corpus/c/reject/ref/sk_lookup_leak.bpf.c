// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_sk_lookup_tcp returns a referenced socket that must be released with
// bpf_sk_release on every path; this one forgets it.
// bpfvet-expect(tc_sk_lookup_no_release): reject "BPF_EXIT instruction in main prog would lead to reference leak"
#include "bpfvet.h"

__u32 listening;

SEC("tc")
int tc_sk_lookup_no_release(struct __sk_buff *skb)
{
	struct bpf_sock_tuple t = {};
	struct bpf_sock *sk;

	t.ipv4.daddr = 0x0100007f;
	t.ipv4.dport = bpf_htons(80);
	sk = bpf_sk_lookup_tcp(skb, &t, sizeof(t.ipv4), BPF_F_CURRENT_NETNS, 0);
	if (sk)
		listening = sk->state == 10;
	return 0;
}

BV_DUAL;
