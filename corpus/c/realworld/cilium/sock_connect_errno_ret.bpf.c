// SPDX-License-Identifier: MIT OR Apache-2.0
// A connect4 hook that blocks connections to a denied service port by
// returning -EPERM, as a syscall would. cgroup sock_addr programs must
// return 0 (reject) or 1 (proceed); the verifier checks R0's range at exit.
// Written for bpfvet.
// bpfvet-expect(deny_connect4): reject "At program exit the register R0 has smin=-1 smax=-1 should have been in [0, 1]"
#include "bpfvet.h"
#include <linux/in.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} denied_ports SEC(".maps");

SEC("cgroup/connect4")
int deny_connect4(struct bpf_sock_addr *ctx)
{
	__u16 port = bpf_ntohs((__u16)ctx->user_port);

	if (ctx->protocol != IPPROTO_TCP)
		return 1;
	if (bpf_map_lookup_elem(&denied_ports, &port))
		return -1; /* -EPERM */
	return 1;
}

char __license[] SEC("license") = "Dual BSD/GPL";
