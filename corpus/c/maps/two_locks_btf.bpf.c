// SPDX-License-Identifier: MIT OR Apache-2.0
// The kernel allows one lock per struct: an object whose BTF has a struct with
// two bpf_spin_lock members (here a global the program never locks) is refused
// BTF as a whole, libbpf loads it without BTF ("BTF is optional, ignoring"),
// and then a correct lock on another map's value has no BTF to be found in.
// bpfvet-expect(lock_beside_two_lock_struct): reject "map 'counters' has to have BTF in order to use bpf_spin_lock"
#include "bpfvet.h"

struct two_locks {
	struct bpf_spin_lock a;
	int x;
	struct bpf_spin_lock b;
	int y;
};

struct counter {
	struct bpf_spin_lock lock;
	int hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct counter);
} counters SEC(".maps");

struct two_locks pair;

SEC("tc")
int lock_beside_two_lock_struct(struct __sk_buff *skb)
{
	int k = 0;
	struct counter *c = bpf_map_lookup_elem(&counters, &k);

	if (!c)
		return 0;
	bpf_spin_lock(&c->lock);
	c->hits++;
	bpf_spin_unlock(&c->lock);
	return pair.x;
}

BV_GPL;
