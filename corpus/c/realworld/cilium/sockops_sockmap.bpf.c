// SPDX-License-Identifier: MIT OR Apache-2.0
// Cilium-style socket-level acceleration: a sockops program inserts every
// established local TCP socket into a sockhash keyed by its 4-tuple, and an
// sk_msg program redirects sendmsg data to the peer socket (key reversed).
// Written for bpfvet.
// bpfvet-expect(cil_sockops): accept
// bpfvet-expect(cil_redir_msg): accept
#include "bpfvet.h"
#include <linux/in.h>

struct sock_key {
	__u32 sip4;
	__u32 dip4;
	__u8 family;
	__u8 pad1;
	__u16 pad2;
	__u32 pad3;
	__u32 sport;
	__u32 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65535);
	__type(key, struct sock_key);
	__type(value, __u32);
} cilium_sock_ops SEC(".maps");

#define AF_INET 2
#define AF_INET6 10

static __always_inline void sk_extract4_key(const struct bpf_sock_ops *ops, struct sock_key *key)
{
	key->dip4 = ops->remote_ip4;
	key->sip4 = ops->local_ip4;
	key->family = 1;
	key->sport = (bpf_ntohl(ops->local_port) >> 16);
	key->dport = ops->remote_port >> 16;
}

SEC("sockops")
int cil_sockops(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};
	__u32 family = skops->family;
	__u32 op = skops->op;

	if (family != AF_INET)
		return 0;
	switch (op) {
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		sk_extract4_key(skops, &key);
		/* only loopback-to-loopback traffic is accelerated here */
		if ((bpf_ntohl(key.dip4) >> 24) != 127)
			break;
		bpf_sock_hash_update(skops, &cilium_sock_ops, &key, BPF_NOEXIST);
		break;
	default:
		break;
	}
	return 0;
}

SEC("sk_msg")
int cil_redir_msg(struct sk_msg_md *msg)
{
	struct sock_key key = {};

	if (msg->family != AF_INET)
		return SK_PASS;
	key.sip4 = msg->remote_ip4;
	key.dip4 = msg->local_ip4;
	key.family = 1;
	key.dport = (bpf_htonl(msg->local_port) >> 16);
	key.sport = msg->remote_port >> 16;
	bpf_msg_redirect_hash(msg, &cilium_sock_ops, &key, BPF_F_INGRESS);
	return SK_PASS;
}

char __license[] SEC("license") = "Dual BSD/GPL";
