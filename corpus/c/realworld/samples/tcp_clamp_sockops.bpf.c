// SPDX-License-Identifier: MIT OR Apache-2.0
// samples/bpf tcp_clamp_kern-style sockops: for connections between hosts in
// the same /16 (IPv6 here: same first 5 address bytes), clamp the send and
// receive buffers and the window clamp with bpf_setsockopt, and use a
// shorter RTO. No maps, built without -g (no BTF at all). Written for bpfvet.
// bpfvet-cflags: -g0
// bpfvet-expect(bpf_clamp): accept
#include "bpfvet.h"

#define SOL_SOCKET 1
#define SO_SNDBUF 7
#define SO_RCVBUF 8
#define SOL_TCP 6
#define TCP_WINDOW_CLAMP 10
#define TCP_BPF_IW 1001
#define AF_INET6 10

SEC("sockops")
int bpf_clamp(struct bpf_sock_ops *skops)
{
	int bufsize = 150000;
	int to_init = 10;
	int clamp = 100;
	int rv = 0;
	int op;

	/* only connections whose peers share the first 5 bytes of the address */
	if (bpf_ntohl(skops->remote_port) != 0 && skops->family != AF_INET6) {
		skops->reply = -1;
		return 0;
	}
	if ((skops->local_ip6[0] != skops->remote_ip6[0]) ||
	    (bpf_ntohl(skops->local_ip6[1]) & 0xff000000) !=
		    (bpf_ntohl(skops->remote_ip6[1]) & 0xff000000)) {
		skops->reply = -1;
		return 0;
	}
	op = (int)skops->op;
	switch (op) {
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		rv = to_init;
		break;
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		rv = bpf_setsockopt(skops, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
		rv += bpf_setsockopt(skops, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		rv = bpf_setsockopt(skops, SOL_TCP, TCP_WINDOW_CLAMP, &clamp, sizeof(clamp));
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		rv = bpf_setsockopt(skops, SOL_TCP, TCP_WINDOW_CLAMP, &clamp, sizeof(clamp));
		rv += bpf_setsockopt(skops, SOL_SOCKET, SO_SNDBUF, &bufsize, sizeof(bufsize));
		rv += bpf_setsockopt(skops, SOL_SOCKET, SO_RCVBUF, &bufsize, sizeof(bufsize));
		break;
	default:
		rv = -1;
	}
	skops->reply = rv;
	return 1;
}

char _license[] SEC("license") = "GPL";
