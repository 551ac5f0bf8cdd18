// SPDX-License-Identifier: MIT OR Apache-2.0
// A tc rate-estimator that updates a shared (non per-CPU) bucket under
// bpf_spin_lock, and reads the clock while holding the lock. Only a few
// helpers may be called inside a spin-lock critical section.
// Written for bpfvet.
// bpfvet-expect(tc_rate_est): reject "function calls are not allowed while holding a lock"
#include "bpfvet.h"
#include <linux/pkt_cls.h>

struct rate_bucket {
	struct bpf_spin_lock lock;
	__u64 last_ns;
	__u64 bytes;
	__u64 rate_bps;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct rate_bucket);
} buckets SEC(".maps");

SEC("tc")
int tc_rate_est(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex;
	struct rate_bucket *b = bpf_map_lookup_elem(&buckets, &key);
	__u64 now, delta;

	if (!b)
		return TC_ACT_OK;
	bpf_spin_lock(&b->lock);
	now = bpf_ktime_get_ns();
	delta = now - b->last_ns;
	b->bytes += skb->len;
	if (delta > 1000000000ULL) {
		b->rate_bps = b->bytes * 8;
		b->bytes = 0;
		b->last_ns = now;
	}
	bpf_spin_unlock(&b->lock);
	return TC_ACT_OK;
}

char _license[] SEC("license") = "GPL";
