// SPDX-License-Identifier: MIT OR Apache-2.0
// The sibling of global_lock_exposed with a bpf_timer: any special field the
// kernel records for the section's value (lock, timer, work queue, graph
// node, refcount) stops libbpf's re-mmap of an exposed .bss global with
// ENOTSUPP, and the object does not load. Measured on the live 6.18.44.
// bpfvet-expect(read_beside_exposed_timer): refused "map '.bss': failed to create: -ENOTSUPP (libbpf: failed to re-mmap() contents: -ENOTSUPP)"
#include "bpfvet.h"

struct deadline {
	struct bpf_timer timer;
	__u64 when;
};

struct deadline next_flush;

SEC("tc")
int read_beside_exposed_timer(struct __sk_buff *skb)
{
	return next_flush.when != 0;
}

BV_GPL;
