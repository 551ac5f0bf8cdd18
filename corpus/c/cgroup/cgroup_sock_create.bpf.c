// SPDX-License-Identifier: MIT OR Apache-2.0
// Deny raw and packet sockets inside the cgroup; tag all other sockets with
// a mark and priority at creation time.
// bpfvet-expect(sock_create_policy): accept
#include "bpfvet.h"

#define AF_PACKET 17
#define SOCK_RAW 3

SEC("cgroup/sock_create")
int sock_create_policy(struct bpf_sock *sk)
{
	if (sk->type == SOCK_RAW || sk->family == AF_PACKET)
		return 0;
	sk->mark = 0x77;
	sk->priority = 2;
	return 1;
}

BV_DUAL;
