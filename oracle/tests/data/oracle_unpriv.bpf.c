// SPDX-License-Identifier: MIT OR Apache-2.0
// Test objects for the oracle's unprivileged loads (oracle/tests/unpriv.rs). Rebuild with:
//   clang-19 -O2 -g -target bpf -D__TARGET_ARCH_x86 -idirafter /usr/include/x86_64-linux-gnu \
//     -c oracle_unpriv.bpf.c -o oracle_unpriv.bpf.o
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, long);
} arr SEC(".maps");

/* Accepted in both modes: an array map (created by the unprivileged loader) and the packet length. */
SEC("socket")
int plain_filter(struct __sk_buff *skb)
{
	int k = 0;
	long *v = bpf_map_lookup_elem(&arr, &k);
	if (v)
		*v += skb->len;
	return 0;
}

/* Accepted privileged, rejected unprivileged: a map value's address stored into the map. */
SEC("socket")
int leak_to_map(struct __sk_buff *skb)
{
	int k = 0;
	long *v = bpf_map_lookup_elem(&arr, &k);
	if (v)
		*v = (long)v;
	return 0;
}

/* Refused before the verifier when unprivileged: not a socket filter or cgroup_skb program. */
SEC("xdp")
int xdp_pass(struct xdp_md *ctx) { return XDP_PASS; }

char LICENSE[] SEC("license") = "GPL";
