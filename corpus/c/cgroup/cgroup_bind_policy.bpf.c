// SPDX-License-Identifier: MIT OR Apache-2.0
// Forbid binding to privileged ports except 80/443 for TCP, and record the
// last successful post-bind port.
// bpfvet-expect(bind4_policy): accept
// bpfvet-expect(post_bind4_note): accept
#include "bpfvet.h"

#define SOCK_STREAM 1

__u32 last_bound_port = 0;

SEC("cgroup/bind4")
int bind4_policy(struct bpf_sock_addr *ctx)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);

	if (port == 0 || port >= 1024)
		return 1;
	if (ctx->type == SOCK_STREAM && (port == 80 || port == 443))
		return 1;
	return 0;
}

SEC("cgroup/post_bind4")
int post_bind4_note(struct bpf_sock *sk)
{
	last_bound_port = sk->src_port;
	return 1;
}

BV_DUAL;
