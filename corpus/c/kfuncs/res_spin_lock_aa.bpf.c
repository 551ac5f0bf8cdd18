// SPDX-License-Identifier: MIT OR Apache-2.0
// A resilient spin lock taken again by the CPU that holds it: two lookups of
// the same array element give two pointers the verifier cannot tell equal, so
// it accepts the second lock; at run time the kernel finds the AA deadlock and
// the second bpf_res_spin_lock returns -EDEADLK (the program returns 35).
// bpfvet-expect(res_lock_twice): accept
#include "bpfvet.h"

/* The system's UAPI headers predate the resilient lock: its kernel layout. */
struct bpf_res_spin_lock {
	__u32 val;
};

extern int bpf_res_spin_lock(struct bpf_res_spin_lock *lock) __ksym;
extern void bpf_res_spin_unlock(struct bpf_res_spin_lock *lock) __ksym;

struct counter {
	struct bpf_res_spin_lock lock;
	int hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, int);
	__type(value, struct counter);
} counters SEC(".maps");

SEC("tc")
int res_lock_twice(struct __sk_buff *skb)
{
	int k1 = 0, k2 = skb->len & 0;
	struct counter *a = bpf_map_lookup_elem(&counters, &k1);
	struct counter *b = bpf_map_lookup_elem(&counters, &k2);
	int err;

	if (!a || !b)
		return 1;
	if (bpf_res_spin_lock(&a->lock))
		return 2;
	a->hits++;
	err = bpf_res_spin_lock(&b->lock);
	if (!err) {
		bpf_res_spin_unlock(&b->lock);
		bpf_res_spin_unlock(&a->lock);
		return 3;
	}
	bpf_res_spin_unlock(&a->lock);
	return -err;
}

char LICENSE[] SEC("license") = "GPL";
