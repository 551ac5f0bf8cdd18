// SPDX-License-Identifier: MIT OR Apache-2.0
// Old-style map definition in SEC("maps") (struct bpf_map_def, no BTF map
// info), as in samples/bpf and iproute2 of the 4.x era: count packets per
// IP protocol. libbpf >= 1.0 refuses SEC("maps"); the corpus loader handles it.
// bpfvet-expect(legacy_proto_count): accept
#include "bpfvet.h"
#include "bpfvet_legacy.h"
#include <linux/if_ether.h>
#include <linux/ip.h>

struct bpf_map_def SEC("maps") proto_cnt = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 256,
};

SEC("xdp")
int legacy_proto_count(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	__u32 proto;
	__u64 *v;

	if ((void *)(ip + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	proto = ip->protocol;
	v = bpf_map_lookup_elem(&proto_cnt, &proto);
	if (v)
		__sync_fetch_and_add(v, 1);
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
