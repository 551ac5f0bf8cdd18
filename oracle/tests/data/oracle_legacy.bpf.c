// SPDX-License-Identifier: MIT OR Apache-2.0
// Refused at open: a legacy SEC("maps") map definition, which libbpf >= 1.0 does not load.
// Rebuild like oracle_cases.bpf.c.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct bpf_map_def {
	unsigned int type, key_size, value_size, max_entries, map_flags;
};
struct bpf_map_def SEC("maps") counts = { BPF_MAP_TYPE_ARRAY, 4, 8, 4, 0 };

SEC("xdp")
int legacy_prog(struct xdp_md *ctx)
{
	int k = 0;
	long *v = bpf_map_lookup_elem(&counts, &k);
	return v ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
