// SPDX-License-Identifier: MIT OR Apache-2.0
// sockops: lower the initial RTO and raise the initial congestion window for
// connections inside the datacenter (same /16), enable RTT and state
// callbacks, and keep a per-port RTT sum from the RTT callback.
// bpfvet-expect(sockops_tuning): accept
#include "bpfvet.h"

#define DC_PREFIX_MASK bpf_htonl(0xffff0000)

struct rtt_acc {
	__u64 sum_us;
	__u64 samples;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct rtt_acc);
} port_rtt SEC(".maps");

SEC("sockops")
int sockops_tuning(struct bpf_sock_ops *skops)
{
	int rv = -1;
	int same_dc = skops->family == 2 /* AF_INET */ &&
		      ((skops->local_ip4 ^ skops->remote_ip4) & DC_PREFIX_MASK) == 0;

	switch (skops->op) {
	case BPF_SOCK_OPS_TIMEOUT_INIT:
		rv = same_dc ? 10 : -1;
		break;
	case BPF_SOCK_OPS_RWND_INIT:
		rv = same_dc ? 40 : -1;
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		bpf_sock_ops_cb_flags_set(skops, BPF_SOCK_OPS_RTT_CB_FLAG | BPF_SOCK_OPS_STATE_CB_FLAG);
		rv = 0;
		break;
	case BPF_SOCK_OPS_RTT_CB: {
		__u32 port = skops->local_port;
		struct rtt_acc *acc = bpf_map_lookup_elem(&port_rtt, &port), init = {};

		if (!acc) {
			bpf_map_update_elem(&port_rtt, &port, &init, BPF_NOEXIST);
			acc = bpf_map_lookup_elem(&port_rtt, &port);
			if (!acc)
				break;
		}
		__sync_fetch_and_add(&acc->sum_us, skops->srtt_us >> 3);
		__sync_fetch_and_add(&acc->samples, 1);
		rv = 0;
		break;
	}
	default:
		break;
	}
	skops->reply = rv;
	return 1;
}

BV_DUAL;
