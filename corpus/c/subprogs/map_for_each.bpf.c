// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_for_each_map_elem with a callback that sums values and stops after a
// threshold; the callback signature is (map, key, value, ctx).
// bpfvet-expect(sum_all_entries): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} weights SEC(".maps");

struct bpf_map;

struct sum_ctx {
	__u64 total;
	__u32 visited;
};

static long add_weight(struct bpf_map *map, __u32 *key, __u64 *val, struct sum_ctx *sc)
{
	sc->total += *val;
	sc->visited++;
	return sc->total > 1000000 ? 1 : 0;
}

__u64 weight_total;

SEC("tc")
int sum_all_entries(struct __sk_buff *skb)
{
	struct sum_ctx sc = {};

	bpf_for_each_map_elem(&weights, add_weight, &sc, 0);
	weight_total = sc.total;
	return 0;
}

BV_DUAL;
