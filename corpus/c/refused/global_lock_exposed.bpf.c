// SPDX-License-Identifier: MIT OR Apache-2.0
// A global variable a skeleton exposes (global, not __hidden) makes libbpf
// create its .bss array mmapable and map it to copy the contents in; a
// bpf_spin_lock inside that global (here one struct down) is a special field,
// and the kernel will not let user space map a value holding one, so the
// re-mmap fails with ENOTSUPP and the object does not load. The program never
// touches the lock. Measured on the live 6.18.44.
// bpfvet-expect(read_beside_exposed_lock): refused "map '.bss': failed to create: -ENOTSUPP (libbpf: failed to re-mmap() contents: -ENOTSUPP)"
#include "bpfvet.h"

struct guarded {
	struct bpf_spin_lock lock;
	int value;
};

struct stats {
	struct guarded g;
	int hits;
};

struct stats totals;

SEC("tc")
int read_beside_exposed_lock(struct __sk_buff *skb)
{
	return totals.hits;
}

BV_GPL;
