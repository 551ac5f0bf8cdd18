// SPDX-License-Identifier: MIT OR Apache-2.0
// The basic map helpers on ARRAY and HASH maps: lookup, update with each
// flag, delete, and direct in-place modification of a looked-up value.
// bpfvet-expect(array_update_in_place): accept
// bpfvet-expect(hash_upsert_delete): accept
// bpfvet-expect(hash_struct_value): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);
	__type(value, __u64);
} last_seen SEC(".maps");

struct conn_stats {
	__u64 packets;
	__u64 bytes;
	__u32 first_len;
	__u32 last_len;
	char tag[8];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct conn_stats);
} stats_by_cookie SEC(".maps");

SEC("xdp")
int array_update_in_place(struct xdp_md *ctx)
{
	__u32 idx = ctx->rx_queue_index & 15;
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (!v)
		return XDP_ABORTED;
	*v += ctx->data_end - ctx->data;
	return XDP_PASS;
}

SEC("socket")
int hash_upsert_delete(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex;
	__u64 now = bpf_ktime_get_ns();

	if (bpf_map_update_elem(&last_seen, &key, &now, BPF_NOEXIST) == 0)
		return skb->len;
	bpf_map_update_elem(&last_seen, &key, &now, BPF_EXIST);
	if (skb->len == 0)
		bpf_map_delete_elem(&last_seen, &key);
	return skb->len;
}

SEC("cgroup_skb/ingress")
int hash_struct_value(struct __sk_buff *skb)
{
	__u64 cookie = bpf_get_socket_cookie(skb);
	struct conn_stats *st = bpf_map_lookup_elem(&stats_by_cookie, &cookie);

	if (!st) {
		struct conn_stats fresh = { .packets = 1, .bytes = skb->len,
					    .first_len = skb->len, .last_len = skb->len };

		__builtin_memcpy(fresh.tag, "new", 4);
		bpf_map_update_elem(&stats_by_cookie, &cookie, &fresh, BPF_ANY);
		return 1;
	}
	st->packets++;
	st->bytes += skb->len;
	st->last_len = skb->len;
	return 1;
}

BV_DUAL;
