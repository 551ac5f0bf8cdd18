// SPDX-License-Identifier: MIT OR Apache-2.0
// BLOOM_FILTER membership test (peek) and socket-local storage (SK_STORAGE)
// created on demand from a full socket reached through skb->sk.
// bpfvet-expect(bloom_check): accept
// bpfvet-expect(sk_storage_count): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_BLOOM_FILTER);
	__uint(max_entries, 10000);
	__uint(map_extra, 3); /* number of hash functions */
	__type(value, __u32);
} bad_ifaces SEC(".maps");

struct sk_counter {
	__u64 packets;
	__u64 bytes;
};

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct sk_counter);
} sk_counters SEC(".maps");

SEC("xdp")
int bloom_check(struct xdp_md *ctx)
{
	__u32 ifindex = ctx->ingress_ifindex;

	if (bpf_map_peek_elem(&bad_ifaces, &ifindex) == 0)
		return XDP_DROP;
	return XDP_PASS;
}

SEC("cgroup_skb/egress")
int sk_storage_count(struct __sk_buff *skb)
{
	struct bpf_sock *sk = skb->sk;
	struct sk_counter *c;

	if (!sk)
		return 1;
	sk = bpf_sk_fullsock(sk);
	if (!sk)
		return 1;
	c = bpf_sk_storage_get(&sk_counters, sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
	if (!c)
		return 1;
	c->packets++;
	c->bytes += skb->len;
	return 1;
}

BV_DUAL;
