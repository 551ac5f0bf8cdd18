// SPDX-License-Identifier: MIT OR Apache-2.0
// cgroup/sock_create must return 0 or 1; returning -1 (as if it were an
// errno) is outside the allowed range.
// bpfvet-expect(sock_create_minus_one): reject "At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 1]"
#include "bpfvet.h"

SEC("cgroup/sock_create")
int sock_create_minus_one(struct bpf_sock *sk)
{
	if (sk->type == 3)
		return -1;
	return 1;
}

BV_DUAL;
