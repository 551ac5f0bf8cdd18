// SPDX-License-Identifier: MIT OR Apache-2.0
// Releasing a socket the program never acquired: skb->sk is borrowed from the kernel, so
// bpf_sk_release() on it (even after bpf_sk_fullsock) is refused.
// bpfvet-expect(tc_release_borrowed_sk): reject "must be referenced when passed to release function"
#include "bpfvet.h"

SEC("tc")
int tc_release_borrowed_sk(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;

	if (!sk)
		return 0;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 0;
	bpf_sk_release(sk);
	return 0;
}

BV_DUAL;
