// SPDX-License-Identifier: MIT OR Apache-2.0
// tc egress rate limiter: a token bucket per skb->mark protected by a
// bpf_spin_lock inside the map value. Over-limit packets are dropped.
// bpfvet-expect(tc_token_bucket): accept
#include "bpfvet.h"
#include <linux/pkt_cls.h>

struct bucket {
	struct bpf_spin_lock lock;
	__u64 tokens;     /* bytes */
	__u64 last_ns;
	__u64 rate_bps;   /* bytes per second */
	__u64 burst;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, struct bucket);
} buckets SEC(".maps");

SEC("tc")
int tc_token_bucket(struct __sk_buff *skb)
{
	__u32 key = skb->mark;
	struct bucket *b;
	__u64 now, add;
	int verdict = TC_ACT_OK;

	b = bpf_map_lookup_elem(&buckets, &key);
	if (!b)
		return TC_ACT_OK;
	now = bpf_ktime_get_ns();

	bpf_spin_lock(&b->lock);
	add = (now - b->last_ns) * b->rate_bps / 1000000000ULL;
	b->last_ns = now;
	b->tokens += add;
	if (b->tokens > b->burst)
		b->tokens = b->burst;
	if (b->tokens >= skb->len)
		b->tokens -= skb->len;
	else
		verdict = TC_ACT_SHOT;
	bpf_spin_unlock(&b->lock);
	return verdict;
}

BV_GPL;
