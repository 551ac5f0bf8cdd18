// SPDX-License-Identifier: MIT OR Apache-2.0
// Resilient spin locks (Linux 6.15+) the kernel refuses: the result not
// checked (the failed call holds no lock to unlock), the same lock taken
// twice, unlocks out of order or of a lock not held, an exit or a helper call
// with the lock held, the plain unlock of an _irqsave lock, a bpf_spin_lock
// unlocked before a resilient lock taken under it, the flags of
// bpf_local_irq_save given to the _irqrestore unlock, a pointer that is not
// the value's lock, a plain load of the lock, and a map with a lock named by
// a socket filter.
// bpfvet-expect(res_lock_unchecked): reject "bpf_res_spin_unlock without taking a lock"
// bpfvet-expect(res_lock_twice): reject "Acquiring the same lock again, AA deadlock detected"
// bpfvet-expect(res_unlock_out_of_order): reject "bpf_res_spin_unlock cannot be out of order"
// bpfvet-expect(res_unlock_other_lock): reject "bpf_res_spin_unlock of different lock"
// bpfvet-expect(res_lock_exit_held): reject "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region"
// bpfvet-expect(res_lock_helper_held): reject "function calls are not allowed while holding a lock"
// bpfvet-expect(res_lock_irqsave_plain_unlock): reject "bpf_res_spin_unlock of different lock"
// bpfvet-expect(res_lock_spin_unlock_first): reject "bpf_spin_unlock cannot be out of order"
// bpfvet-expect(res_lock_native_flags): reject "irq flag acquired by native kfuncs cannot be restored with lock kfuncs"
// bpfvet-expect(res_lock_wrong_offset): reject "off 4 doesn't point to 'struct bpf_res_spin_lock' that is at 0"
// bpfvet-expect(res_lock_on_stack): reject "arg#0 doesn't point to map value or allocated object"
// bpfvet-expect(res_lock_read_directly): reject "bpf_res_spin_lock cannot be accessed directly by load/store"
// bpfvet-expect(res_lock_socket_filter): reject "socket filter progs cannot use bpf_spin_lock yet"
#include "bpfvet.h"

/* The system's UAPI headers predate the resilient lock: its kernel layout. */
struct bpf_res_spin_lock {
	__u32 val;
};

extern int bpf_res_spin_lock(struct bpf_res_spin_lock *lock) __ksym;
extern void bpf_res_spin_unlock(struct bpf_res_spin_lock *lock) __ksym;
extern int bpf_res_spin_lock_irqsave(struct bpf_res_spin_lock *lock,
				     unsigned long *flags__irq_flag) __ksym;
extern void bpf_res_spin_unlock_irqrestore(struct bpf_res_spin_lock *lock,
					   unsigned long *flags__irq_flag) __ksym;
extern void bpf_local_irq_save(unsigned long *flags__irq_flag) __ksym;
extern void bpf_local_irq_restore(unsigned long *flags__irq_flag) __ksym;

struct counter {
	struct bpf_res_spin_lock lock;
	int hits;
};

struct plain_counter {
	struct bpf_spin_lock lock;
	int hits;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, int);
	__type(value, struct counter);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, int);
	__type(value, struct counter);
} totals SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct plain_counter);
} plain SEC(".maps");

#define counter_of(map, key) ({ int k_ = (key); bpf_map_lookup_elem(map, &k_); })

SEC("tc")
int res_lock_unchecked(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);

	if (!c)
		return 0;
	bpf_res_spin_lock(&c->lock);
	c->hits++;
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_lock_twice(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);

	if (!c)
		return 0;
	if (bpf_res_spin_lock(&c->lock))
		return 0;
	if (bpf_res_spin_lock(&c->lock)) {
		bpf_res_spin_unlock(&c->lock);
		return 0;
	}
	bpf_res_spin_unlock(&c->lock);
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_unlock_out_of_order(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);
	struct counter *t = counter_of(&totals, 0);

	if (!c || !t)
		return 0;
	if (bpf_res_spin_lock(&c->lock))
		return 0;
	if (bpf_res_spin_lock(&t->lock)) {
		bpf_res_spin_unlock(&c->lock);
		return 0;
	}
	bpf_res_spin_unlock(&c->lock);
	bpf_res_spin_unlock(&t->lock);
	return 0;
}

SEC("tc")
int res_unlock_other_lock(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);
	struct counter *t = counter_of(&totals, 0);

	if (!c || !t)
		return 0;
	if (bpf_res_spin_lock(&c->lock))
		return 0;
	bpf_res_spin_unlock(&t->lock);
	return 0;
}

SEC("tc")
int res_lock_exit_held(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);

	if (!c)
		return 0;
	if (bpf_res_spin_lock(&c->lock))
		return 0;
	if (skb->len > 100)
		return 1;
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_lock_helper_held(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);

	if (!c)
		return 0;
	if (bpf_res_spin_lock(&c->lock))
		return 0;
	c->hits = bpf_get_prandom_u32();
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_lock_irqsave_plain_unlock(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);
	unsigned long flags;

	if (!c)
		return 0;
	if (bpf_res_spin_lock_irqsave(&c->lock, &flags))
		return 0;
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_lock_spin_unlock_first(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);
	struct plain_counter *p = counter_of(&plain, 0);

	if (!c || !p)
		return 0;
	bpf_spin_lock(&p->lock);
	if (bpf_res_spin_lock(&c->lock)) {
		bpf_spin_unlock(&p->lock);
		return 0;
	}
	bpf_spin_unlock(&p->lock);
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_lock_native_flags(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);
	unsigned long native, locked;

	if (!c)
		return 0;
	bpf_local_irq_save(&native);
	if (bpf_res_spin_lock_irqsave(&c->lock, &locked)) {
		bpf_local_irq_restore(&native);
		return 0;
	}
	bpf_res_spin_unlock_irqrestore(&c->lock, &native);
	bpf_local_irq_restore(&locked);
	return 0;
}

SEC("tc")
int res_lock_wrong_offset(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);

	if (!c)
		return 0;
	if (bpf_res_spin_lock((struct bpf_res_spin_lock *)&c->hits))
		return 0;
	return 0;
}

SEC("tc")
int res_lock_on_stack(struct __sk_buff *skb)
{
	struct bpf_res_spin_lock lock = {};

	if (bpf_res_spin_lock(&lock))
		return 0;
	bpf_res_spin_unlock(&lock);
	return 0;
}

SEC("tc")
int res_lock_read_directly(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);

	if (!c)
		return 0;
	return *(volatile __u32 *)&c->lock;
}

SEC("socket")
int res_lock_socket_filter(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);

	return c ? c->hits : 0;
}

BV_GPL;
