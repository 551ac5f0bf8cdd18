// SPDX-License-Identifier: MIT OR Apache-2.0
// Legacy SEC("maps") HASH map used from a socket filter: bytes per ifindex.
// bpfvet-expect(legacy_bytes_by_ifindex): accept
#include "bpfvet.h"
#include "bpfvet_legacy.h"

struct bpf_map_def SEC("maps") bytes_by_if = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 64,
};

SEC("socket")
int legacy_bytes_by_ifindex(struct __sk_buff *skb)
{
	__u32 key = skb->ifindex;
	__u64 *v = bpf_map_lookup_elem(&bytes_by_if, &key), init;

	if (v) {
		__sync_fetch_and_add(v, skb->len);
	} else {
		init = skb->len;
		bpf_map_update_elem(&bytes_by_if, &key, &init, BPF_ANY);
	}
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
