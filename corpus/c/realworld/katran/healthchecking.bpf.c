// SPDX-License-Identifier: MIT OR Apache-2.0
// Katran-style healthcheck forwarder on tc egress: packets marked by the
// healthchecker get their destination real looked up by skb->mark, are sent
// into an IPIP/IP6IP6 tunnel device with bpf_skb_set_tunnel_key and
// redirected to it. Counters live in a per-CPU array. Written for bpfvet.
// bpfvet-expect(healthcheck_encap): accept
#include "bpfvet.h"
#include <linux/pkt_cls.h>
#include <linux/in.h>

#define CTRL_MAP_SIZE 4
#define MAX_REALS 4096
#define HC_SRC_MAC_POS 0
#define HC_MAIN_INTF_POSITION 3

struct hc_real_definition {
	union {
		__be32 daddr;
		__be32 v6daddr[4];
	};
	__u8 flags;
};

struct hc_stats {
	__u64 pckts_processed;
	__u64 pckts_dropped;
	__u64 pckts_skipped;
	__u64 pckts_too_big;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CTRL_MAP_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} hc_ctrl_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_REALS);
	__type(key, __u32);
	__type(value, struct hc_real_definition);
} hc_reals_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct hc_stats);
} hc_stats_map SEC(".maps");

SEC("tc")
int healthcheck_encap(struct __sk_buff *skb)
{
	struct bpf_tunnel_key tkey = {};
	struct hc_real_definition *real;
	struct hc_stats *prog_stats;
	__u32 stats_key = 0, intf_pos = HC_MAIN_INTF_POSITION;
	__u32 *intf_ifindex;
	__u32 somark = skb->mark;
	int ret;

	prog_stats = bpf_map_lookup_elem(&hc_stats_map, &stats_key);
	if (!prog_stats)
		return TC_ACT_UNSPEC;
	if (skb->mark == 0) {
		prog_stats->pckts_skipped++;
		return TC_ACT_UNSPEC;
	}
	real = bpf_map_lookup_elem(&hc_reals_map, &somark);
	if (!real) {
		prog_stats->pckts_skipped++;
		return TC_ACT_UNSPEC;
	}
	intf_ifindex = bpf_map_lookup_elem(&hc_ctrl_map, &intf_pos);
	if (!intf_ifindex) {
		prog_stats->pckts_dropped++;
		return TC_ACT_SHOT;
	}
	if (skb->len > 1500 - 40) {
		prog_stats->pckts_too_big++;
		return TC_ACT_SHOT;
	}
	tkey.tunnel_ttl = 64;
	skb->mark = 0;
	if (real->flags & 1) {
		tkey.remote_ipv6[0] = real->v6daddr[0];
		tkey.remote_ipv6[1] = real->v6daddr[1];
		tkey.remote_ipv6[2] = real->v6daddr[2];
		tkey.remote_ipv6[3] = real->v6daddr[3];
		ret = bpf_skb_set_tunnel_key(skb, &tkey, sizeof(tkey), BPF_F_TUNINFO_IPV6);
	} else {
		tkey.remote_ipv4 = bpf_ntohl(real->daddr);
		ret = bpf_skb_set_tunnel_key(skb, &tkey, sizeof(tkey), 0);
	}
	if (ret) {
		prog_stats->pckts_dropped++;
		return TC_ACT_SHOT;
	}
	prog_stats->pckts_processed++;
	return bpf_redirect(*intf_ifindex, 0);
}

char _license[] SEC("license") = "GPL";
