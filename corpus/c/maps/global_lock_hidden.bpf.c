// SPDX-License-Identifier: MIT OR Apache-2.0
// The global-data shapes holding locks that load: a __hidden global (libbpf
// makes it static, no skeleton exposes it, so the .bss.A array is not mapped
// into user space) whose lock the program takes around a counter, and, in
// .bss, an exposed global holding an array of two locks (the kernel builds no
// record for an array of locks, so nothing stops the mapping; the locks are
// unusable and the program does not touch them). Measured on the live
// 6.18.44 (see refused/global_lock_exposed for the exposed single lock).
// bpfvet-expect(count_under_hidden_lock): accept
// bpfvet-expect(read_beside_lock_array): accept
#include "bpfvet.h"

struct counter {
	struct bpf_spin_lock lock;
	__u64 packets;
};

__attribute__((visibility("hidden"))) struct counter guarded
	SEC(".bss.A");

struct lock_pair {
	struct bpf_spin_lock locks[2];
	int flags;
};

struct lock_pair pair;

SEC("tc")
int count_under_hidden_lock(struct __sk_buff *skb)
{
	bpf_spin_lock(&guarded.lock);
	guarded.packets++;
	bpf_spin_unlock(&guarded.lock);
	return 0;
}

SEC("tc")
int read_beside_lock_array(struct __sk_buff *skb)
{
	return pair.flags;
}

BV_GPL;
