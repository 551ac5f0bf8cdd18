// SPDX-License-Identifier: MIT OR Apache-2.0
// Socket-level service load balancing (Cilium host-reachable-services style):
// rewrite connect()/sendmsg() destinations of a service address to a backend
// chosen from a map, for IPv4 and IPv6; remember the original for recvmsg.
// bpfvet-expect(connect4_lb): accept
// bpfvet-expect(connect6_lb): accept
// bpfvet-expect(sendmsg4_lb): accept
// bpfvet-expect(recvmsg4_lb): accept
#include "bpfvet.h"

struct svc_key4 {
	__u32 addr;
	__u32 port;
};

struct backend4 {
	__u32 addr;
	__u32 port;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct svc_key4);
	__type(value, struct backend4);
} svc4 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct backend4);
	__type(value, struct svc_key4);
} rev_nat4 SEC(".maps");

struct svc_key6 {
	__u32 addr[4];
	__u32 port;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 256);
	__type(key, struct svc_key6);
	__type(value, struct svc_key6);
} svc6 SEC(".maps");

static __always_inline int xlate4(struct bpf_sock_addr *ctx)
{
	struct svc_key4 key = { .addr = ctx->user_ip4, .port = ctx->user_port };
	struct backend4 *be = bpf_map_lookup_elem(&svc4, &key);

	if (!be)
		return 1;
	ctx->user_ip4 = be->addr;
	ctx->user_port = be->port;
	bpf_map_update_elem(&rev_nat4, be, &key, BPF_ANY);
	return 1;
}

SEC("cgroup/connect4")
int connect4_lb(struct bpf_sock_addr *ctx)
{
	return xlate4(ctx);
}

SEC("cgroup/sendmsg4")
int sendmsg4_lb(struct bpf_sock_addr *ctx)
{
	return xlate4(ctx);
}

SEC("cgroup/recvmsg4")
int recvmsg4_lb(struct bpf_sock_addr *ctx)
{
	struct backend4 be = { .addr = ctx->user_ip4, .port = ctx->user_port };
	struct svc_key4 *orig = bpf_map_lookup_elem(&rev_nat4, &be);

	if (orig) {
		ctx->user_ip4 = orig->addr;
		ctx->user_port = orig->port;
	}
	return 1;
}

SEC("cgroup/connect6")
int connect6_lb(struct bpf_sock_addr *ctx)
{
	struct svc_key6 key = {}, *be;

	key.addr[0] = ctx->user_ip6[0];
	key.addr[1] = ctx->user_ip6[1];
	key.addr[2] = ctx->user_ip6[2];
	key.addr[3] = ctx->user_ip6[3];
	key.port = ctx->user_port;
	be = bpf_map_lookup_elem(&svc6, &key);
	if (!be)
		return 1;
	ctx->user_ip6[0] = be->addr[0];
	ctx->user_ip6[1] = be->addr[1];
	ctx->user_ip6[2] = be->addr[2];
	ctx->user_ip6[3] = be->addr[3];
	ctx->user_port = be->port;
	return 1;
}

BV_DUAL;
