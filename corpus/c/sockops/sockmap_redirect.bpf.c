// SPDX-License-Identifier: MIT OR Apache-2.0
// Local socket acceleration (the sockmap "bypass loopback" pattern): sockops
// inserts established IPv4 sockets into a SOCKHASH keyed by the 4-tuple; the
// sk_msg program redirects sendmsg() data straight to the peer socket.
// bpfvet-expect(sockops_insert): accept
// bpfvet-expect(skmsg_redirect): accept
#include "bpfvet.h"

struct sock_key {
	__u32 sip;
	__u32 dip;
	__u32 sport;
	__u32 dport;
};

struct {
	__uint(type, BPF_MAP_TYPE_SOCKHASH);
	__uint(max_entries, 65535);
	__type(key, struct sock_key);
	__type(value, __u32);
} sock_hash SEC(".maps");

SEC("sockops")
int sockops_insert(struct bpf_sock_ops *skops)
{
	struct sock_key key = {};

	if (skops->family != 2)
		return 1;
	if (skops->op != BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB &&
	    skops->op != BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB)
		return 1;
	key.sip = skops->local_ip4;
	key.dip = skops->remote_ip4;
	key.sport = skops->local_port;            /* host order */
	key.dport = bpf_ntohl(skops->remote_port); /* network order in the upper half */
	bpf_sock_hash_update(skops, &sock_hash, &key, BPF_NOEXIST);
	return 1;
}

SEC("sk_msg")
int skmsg_redirect(struct sk_msg_md *msg)
{
	struct sock_key peer = {};

	if (msg->family != 2)
		return SK_PASS;
	/* the peer's key is our key with both ends swapped */
	peer.sip = msg->remote_ip4;
	peer.dip = msg->local_ip4;
	peer.sport = bpf_ntohl(msg->remote_port);
	peer.dport = msg->local_port;
	return bpf_msg_redirect_hash(msg, &sock_hash, &peer, BPF_F_INGRESS);
}

BV_DUAL;
