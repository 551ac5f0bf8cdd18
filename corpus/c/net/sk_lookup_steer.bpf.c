// SPDX-License-Identifier: MIT OR Apache-2.0
// sk_lookup: steer TCP connections for a set of ports (hash of allowed
// ports) to one listening socket held in a SOCKMAP, the "bind to many ports"
// pattern. The socket from the map must be released.
// bpfvet-expect(steer_ports): accept
#include "bpfvet.h"

#define IPPROTO_TCP 6

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} target_sock SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u16);
	__type(value, __u8);
} steered_ports SEC(".maps");

SEC("sk_lookup")
int steer_ports(struct bpf_sk_lookup *ctx)
{
	__u16 port = ctx->local_port;
	__u32 zero = 0;
	struct bpf_sock *sk;
	long err;

	if (ctx->protocol != IPPROTO_TCP)
		return SK_PASS;
	if (!bpf_map_lookup_elem(&steered_ports, &port))
		return SK_PASS;
	sk = bpf_map_lookup_elem(&target_sock, &zero);
	if (!sk)
		return SK_PASS;
	err = bpf_sk_assign(ctx, sk, 0);
	bpf_sk_release(sk);
	return err ? SK_DROP : SK_PASS;
}

BV_DUAL;
