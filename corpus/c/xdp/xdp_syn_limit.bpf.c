// SPDX-License-Identifier: MIT OR Apache-2.0
// SYN flood guard: per-source SYN counters in an LRU hash, reset every second;
// sources over the limit get dropped. The limit lives in .rodata.
// bpfvet-expect(xdp_syn_limit): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/tcp.h>

const volatile __u32 syn_per_sec_limit = 100;

struct syn_state {
	__u64 window_start;
	__u32 count;
	__u32 pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 100000);
	__type(key, __be32);
	__type(value, struct syn_state);
} syn_sources SEC(".maps");

SEC("xdp")
int xdp_syn_limit(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	struct syn_state *st, fresh = {};
	__u64 now;
	__be32 src;

	if ((void *)(th + 1) > data_end)
		return XDP_PASS;
	if (eth->h_proto != bpf_htons(ETH_P_IP) || ip->ihl != 5 || ip->protocol != IPPROTO_TCP)
		return XDP_PASS;
	if (!th->syn || th->ack)
		return XDP_PASS;

	src = ip->saddr;
	now = bpf_ktime_get_ns();
	st = bpf_map_lookup_elem(&syn_sources, &src);
	if (!st) {
		fresh.window_start = now;
		fresh.count = 1;
		bpf_map_update_elem(&syn_sources, &src, &fresh, BPF_ANY);
		return XDP_PASS;
	}
	if (now - st->window_start > 1000000000ULL) {
		st->window_start = now;
		st->count = 0;
	}
	st->count++;
	return st->count > syn_per_sec_limit ? XDP_DROP : XDP_PASS;
}

BV_DUAL;
