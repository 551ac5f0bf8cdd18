// SPDX-License-Identifier: MIT OR Apache-2.0
// Test objects for bpfvet-oracle's live tests, one program per outcome. Rebuild with:
//   clang-19 -O2 -g -target bpf -D__TARGET_ARCH_x86 -idirafter /usr/include/x86_64-linux-gnu \
//     -c oracle_cases.bpf.c -o oracle_cases.bpf.o
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4);
	__type(key, int);
	__type(value, long);
} hmap SEC(".maps");

/* Accepted. */
SEC("xdp")
int pass_all(struct xdp_md *ctx) { return XDP_PASS; }

/* Rejected by the verifier: the lookup may return NULL. */
SEC("socket")
int null_deref(struct __sk_buff *skb)
{
	int k = 0;
	long *v = bpf_map_lookup_elem(&hmap, &k);
	return *v;
}

/* Rejected, helper-unavailable: an XDP helper in a socket filter. */
SEC("socket")
int wrong_helper(struct __sk_buff *skb) { return bpf_xdp_adjust_head((void *)skb, 4); }

/* Rejected, unresolved-relocation: a CO-RE field of a type the kernel does not have. */
struct bpfvet_not_in_kernel { int zzz_field; } __attribute__((preserve_access_index));
SEC("kprobe/do_nanosleep")
int core_missing(void *ctx)
{
	struct bpfvet_not_in_kernel *p = ctx;
	return BPF_CORE_READ(p, zzz_field);
}

/* Refused at attach-target: no such kernel function. */
SEC("fentry/bpfvet_no_such_function")
int fentry_missing(void *ctx) { return 0; }

/* Accepted, with a long verifier log at level 2 (exercises the log buffer growth). */
SEC("xdp")
int long_log(struct xdp_md *ctx)
{
	volatile int s = 0;
	for (int i = 0; i < 300; i++)
		s += i;
	return s & 1 ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
