// SPDX-License-Identifier: MIT OR Apache-2.0
// XDP firewall: drop IPv4 sources that match a prefix in an LPM-trie blocklist,
// count verdicts in a per-CPU array.
// bpfvet-expect(xdp_firewall): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>

struct lpm_v4_key {
	__u32 prefixlen;
	__u32 addr;
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct lpm_v4_key);
	__type(value, __u32);
} blocklist SEC(".maps");

enum { STAT_PASS, STAT_DROP, STAT_NOT_IP, STAT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} fw_stats SEC(".maps");

static __always_inline int count(__u32 what, int verdict)
{
	__u64 *c = bpf_map_lookup_elem(&fw_stats, &what);

	if (c)
		*c += 1;
	return verdict;
}

SEC("xdp")
int xdp_firewall(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	struct lpm_v4_key key;
	__u32 *rule;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return count(STAT_NOT_IP, XDP_PASS);
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end)
		return count(STAT_DROP, XDP_DROP);

	key.prefixlen = 32;
	key.addr = ip->saddr;
	rule = bpf_map_lookup_elem(&blocklist, &key);
	if (rule && *rule)
		return count(STAT_DROP, XDP_DROP);
	return count(STAT_PASS, XDP_PASS);
}

BV_DUAL;
