// SPDX-License-Identifier: MIT OR Apache-2.0
// Cilium-style socket-level load balancing ("kube-proxy replacement" at
// connect time): cgroup/connect4 and connect6 translate a service VIP:port
// to a backend chosen from a per-service slot array; a reverse-NAT map keyed
// by socket cookie lets cgroup/recvmsg4 restore the VIP for unconnected UDP.
// Written for bpfvet.
// bpfvet-expect(cil_sock4_connect): accept
// bpfvet-expect(cil_sock6_connect): accept
// bpfvet-expect(cil_sock4_recvmsg): accept
#include "bpfvet.h"
#include <linux/in.h>

#define SYS_REJECT 0
#define SYS_PROCEED 1
#define LB_MAX_SLOTS 64

struct lb4_key {
	__be32 address;
	__be16 dport;
	__u16 backend_slot;
};

struct lb4_service {
	__u32 backend_id;
	__u16 count;
	__u16 rev_nat_index;
	__u8 flags;
	__u8 pad[3];
};

struct lb4_backend {
	__be32 address;
	__be16 port;
	__u8 proto;
	__u8 flags;
};

struct lb6_key {
	__u32 address[4];
	__be16 dport;
	__u16 backend_slot;
};

struct lb6_backend {
	__u32 address[4];
	__be16 port;
	__u8 proto;
	__u8 flags;
};

struct rev_nat_key {
	__u64 cookie;
	__be32 address;
	__be16 port;
	__u16 pad;
};

struct rev_nat_val {
	__be32 address;
	__be16 port;
	__u16 rev_nat_index;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct lb4_key);
	__type(value, struct lb4_service);
} cilium_lb4_services_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct lb4_backend);
} cilium_lb4_backends_v3 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct lb6_key);
	__type(value, struct lb4_service);
} cilium_lb6_services_v2 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct lb6_backend);
} cilium_lb6_backends_v3 SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 262144);
	__type(key, struct rev_nat_key);
	__type(value, struct rev_nat_val);
} cilium_lb4_reverse_sk SEC(".maps");

static __always_inline __u16 pick_slot(__u16 count)
{
	if (!count)
		return 0;
	return (bpf_get_prandom_u32() % count) + 1;
}

SEC("cgroup/connect4")
int cil_sock4_connect(struct bpf_sock_addr *ctx)
{
	struct lb4_key key = { .address = ctx->user_ip4, .dport = (__be16)ctx->user_port };
	struct lb4_service *svc, *slot_svc;
	struct lb4_backend *be;
	struct rev_nat_key rk = {};
	struct rev_nat_val rv = {};
	__u32 backend_id;

	svc = bpf_map_lookup_elem(&cilium_lb4_services_v2, &key);
	if (!svc)
		return SYS_PROCEED;
	if (!svc->count)
		return SYS_REJECT;
	key.backend_slot = pick_slot(svc->count);
	slot_svc = bpf_map_lookup_elem(&cilium_lb4_services_v2, &key);
	if (!slot_svc)
		return SYS_PROCEED;
	backend_id = slot_svc->backend_id;
	be = bpf_map_lookup_elem(&cilium_lb4_backends_v3, &backend_id);
	if (!be)
		return SYS_PROCEED;

	rk.cookie = bpf_get_socket_cookie(ctx);
	rk.address = be->address;
	rk.port = be->port;
	rv.address = key.address;
	rv.port = key.dport;
	rv.rev_nat_index = svc->rev_nat_index;
	bpf_map_update_elem(&cilium_lb4_reverse_sk, &rk, &rv, BPF_ANY);

	ctx->user_ip4 = be->address;
	ctx->user_port = be->port;
	return SYS_PROCEED;
}

SEC("cgroup/connect6")
int cil_sock6_connect(struct bpf_sock_addr *ctx)
{
	struct lb6_key key = {};
	struct lb4_service *svc, *slot_svc;
	struct lb6_backend *be;
	__u32 backend_id;

	key.address[0] = ctx->user_ip6[0];
	key.address[1] = ctx->user_ip6[1];
	key.address[2] = ctx->user_ip6[2];
	key.address[3] = ctx->user_ip6[3];
	key.dport = (__be16)ctx->user_port;

	svc = bpf_map_lookup_elem(&cilium_lb6_services_v2, &key);
	if (!svc)
		return SYS_PROCEED;
	key.backend_slot = pick_slot(svc->count);
	slot_svc = bpf_map_lookup_elem(&cilium_lb6_services_v2, &key);
	if (!slot_svc)
		return SYS_PROCEED;
	backend_id = slot_svc->backend_id;
	be = bpf_map_lookup_elem(&cilium_lb6_backends_v3, &backend_id);
	if (!be)
		return SYS_PROCEED;
	ctx->user_ip6[0] = be->address[0];
	ctx->user_ip6[1] = be->address[1];
	ctx->user_ip6[2] = be->address[2];
	ctx->user_ip6[3] = be->address[3];
	ctx->user_port = be->port;
	return SYS_PROCEED;
}

SEC("cgroup/recvmsg4")
int cil_sock4_recvmsg(struct bpf_sock_addr *ctx)
{
	struct rev_nat_key rk = {};
	struct rev_nat_val *rv;

	rk.cookie = bpf_get_socket_cookie(ctx);
	rk.address = ctx->user_ip4;
	rk.port = (__be16)ctx->user_port;
	rv = bpf_map_lookup_elem(&cilium_lb4_reverse_sk, &rk);
	if (rv) {
		ctx->user_ip4 = rv->address;
		ctx->user_port = rv->port;
	}
	return SYS_PROCEED;
}

char __license[] SEC("license") = "Dual BSD/GPL";
