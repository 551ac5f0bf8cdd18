// SPDX-License-Identifier: MIT OR Apache-2.0
// Resilient spin locks (Linux 6.15+): bpf_res_spin_lock may fail, and the lock
// is held only where it returned 0; resilient locks nest (unlocked latest
// first), the _irqsave form also saves the interrupt state into a stack word
// that its _irqrestore unlock gives back, inside a bpf_local_irq_save region
// too, and a resilient lock may be taken under a bpf_spin_lock.
// bpfvet-expect(res_lock_pair): accept
// bpfvet-expect(res_lock_negative_check): accept
// bpfvet-expect(res_lock_nested): accept
// bpfvet-expect(res_lock_irqsave_pair): accept
// bpfvet-expect(res_lock_inside_irq_save): accept
// bpfvet-expect(res_lock_under_spin_lock): accept
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
int res_lock_pair(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 0);

	if (!c)
		return 0;
	if (bpf_res_spin_lock(&c->lock))
		return 0;
	c->hits++;
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_lock_negative_check(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 1);
	int err;

	if (!c)
		return 0;
	err = bpf_res_spin_lock(&c->lock);
	if (err < 0)
		return 0;
	c->hits += skb->len;
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_lock_nested(struct __sk_buff *skb)
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
	c->hits++;
	t->hits++;
	bpf_res_spin_unlock(&t->lock);
	bpf_res_spin_unlock(&c->lock);
	return 0;
}

SEC("tc")
int res_lock_irqsave_pair(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 2);
	unsigned long flags;

	if (!c)
		return 0;
	if (bpf_res_spin_lock_irqsave(&c->lock, &flags))
		return 0;
	c->hits++;
	bpf_res_spin_unlock_irqrestore(&c->lock, &flags);
	return 0;
}

SEC("tc")
int res_lock_inside_irq_save(struct __sk_buff *skb)
{
	struct counter *c = counter_of(&counters, 3);
	unsigned long outer, inner;

	if (!c)
		return 0;
	bpf_local_irq_save(&outer);
	if (bpf_res_spin_lock_irqsave(&c->lock, &inner)) {
		bpf_local_irq_restore(&outer);
		return 0;
	}
	c->hits++;
	bpf_res_spin_unlock_irqrestore(&c->lock, &inner);
	bpf_local_irq_restore(&outer);
	return 0;
}

SEC("tc")
int res_lock_under_spin_lock(struct __sk_buff *skb)
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
	c->hits++;
	p->hits++;
	bpf_res_spin_unlock(&c->lock);
	bpf_spin_unlock(&p->lock);
	return 0;
}

BV_GPL;
