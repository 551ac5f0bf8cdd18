// SPDX-License-Identifier: MIT OR Apache-2.0
// Kernel objects stashed in kptr fields: a task and a cpumask moved into a map
// value's __kptr field with bpf_kptr_xchg and read back directly inside an RCU
// read section (the load is RCU-protected and NULL-able), a global __kptr in a
// .bss section, an allocated object's refcount taken from its stash. The
// kernel's refusals: the loaded pointer used unchecked, or outside the RCU
// section; a plain store into the field; a partial read of it; a helper's
// memory argument covering it; the old value bpf_kptr_xchg returns leaked; a
// pointer that holds no reference swapped in; bpf_refcount_acquire on a type
// without a bpf_refcount (for a type without any special field the kernel
// finds no record of fields at all and calls that its own bug); an allocated object's kptr field read directly.
// (SEC("syscall") programs are sleepable: RCU protection needs the lock.)
// bpfvet-expect(task_stash_read_rcu): accept
// bpfvet-expect(cpumask_stash_read_rcu): accept
// bpfvet-expect(global_mask_read_rcu): accept
// bpfvet-expect(refcount_from_stash): accept
// bpfvet-expect(kptr_read_unchecked): reject "Possibly NULL pointer passed to trusted arg1"
// bpfvet-expect(kptr_read_outside_rcu): reject "R2 must be a rcu pointer"
// bpfvet-expect(kptr_plain_store): reject "store to referenced kptr disallowed"
// bpfvet-expect(kptr_partial_read): reject "kptr access size must be BPF_DW"
// bpfvet-expect(kptr_helper_write): reject "kptr cannot be accessed indirectly by helper"
// bpfvet-expect(kptr_xchg_leak): reject "Unreleased reference"
// bpfvet-expect(kptr_xchg_unreferenced): reject "R2 must be referenced when passed to release function"
// bpfvet-expect(refcount_without_field): reject "arg#0 doesn't point to a type with bpf_refcount field"
// bpfvet-expect(refcount_plain_type): reject "Couldn't find btf_record"
// bpfvet-expect(alloc_kptr_direct): reject "direct access to kptr is disallowed"
#include "bpfvet.h"

#define __kptr __attribute__((btf_type_tag("kptr")))
#define in_section(name) SEC(".bss." #name) __attribute__((visibility("hidden"), aligned(8)))

struct task_struct {
	int pid;
} __attribute__((preserve_access_index));
struct bpf_cpumask {
	int __unused;
};
struct cpumask {
	int __unused;
};
struct bpf_rb_node {
	__u64 __a;
	__u64 __b;
	__u64 __c;
	__u64 __d;
} __attribute__((aligned(8)));
struct bpf_refcount {
	__u32 __a;
} __attribute__((aligned(4)));

extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
extern void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;
extern _Bool bpf_cpumask_test_cpu(__u32 cpu, const struct cpumask *cpumask) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
extern void *bpf_refcount_acquire_impl(void *kptr, void *meta) __ksym;

#define new_obj(type) ((type *)bpf_obj_new_impl(__builtin_btf_type_id(*(type *)0, 0), 0))
#define drop_obj(p) bpf_obj_drop_impl(p, 0)

struct plain {
	long data;
};
struct counted {
	long data;
	struct bpf_rb_node rb;
	struct bpf_refcount rc;
};
struct uncounted {
	long data;
	struct bpf_rb_node rb;
};
struct holder {
	long data;
	struct plain __kptr *inner;
};

struct slot {
	long stamp;
	struct task_struct __kptr *task;
	struct bpf_cpumask __kptr *mask;
	struct counted __kptr *counted;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} slots SEC(".maps");

in_section(masks) struct bpf_cpumask __kptr *global_mask;

static struct slot *slot0(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&slots, &zero);
}

/* Moves a new cpumask into the slot, releasing what was there. */
static int stash_mask(struct slot *s)
{
	struct bpf_cpumask *m = bpf_cpumask_create();

	if (!m)
		return 0;
	m = bpf_kptr_xchg(&s->mask, m);
	if (m)
		bpf_cpumask_release(m);
	return 1;
}

SEC("syscall")
int task_stash_read_rcu(void *ctx)
{
	struct slot *s = slot0();
	struct task_struct *t, *got;
	int pid = 0;

	if (!s)
		return 0;
	t = bpf_task_from_pid(1);
	if (!t)
		return 0;
	t = bpf_kptr_xchg(&s->task, t);
	if (t)
		bpf_task_release(t);
	bpf_rcu_read_lock();
	t = s->task;
	if (t) {
		got = bpf_task_acquire(t);
		if (got) {
			pid = got->pid;
			bpf_task_release(got);
		}
	}
	bpf_rcu_read_unlock();
	return pid;
}

SEC("syscall")
int cpumask_stash_read_rcu(void *ctx)
{
	struct slot *s = slot0();
	struct bpf_cpumask *m;
	int hit = 0;

	if (!s || !stash_mask(s))
		return 0;
	bpf_rcu_read_lock();
	m = s->mask;
	if (m)
		hit = bpf_cpumask_test_cpu(0, (const struct cpumask *)m);
	bpf_rcu_read_unlock();
	return hit;
}

SEC("syscall")
int global_mask_read_rcu(void *ctx)
{
	struct bpf_cpumask *m = bpf_cpumask_create();
	int hit = 0;

	if (!m)
		return 0;
	m = bpf_kptr_xchg(&global_mask, m);
	if (m)
		bpf_cpumask_release(m);
	bpf_rcu_read_lock();
	m = global_mask;
	if (m)
		hit = bpf_cpumask_test_cpu(1, (const struct cpumask *)m);
	bpf_rcu_read_unlock();
	return hit;
}

SEC("syscall")
int refcount_from_stash(void *ctx)
{
	struct slot *s = slot0();
	struct counted *c;
	long data = 0;

	if (!s)
		return 0;
	c = new_obj(struct counted);
	if (!c)
		return 0;
	c->data = 7;
	c = bpf_kptr_xchg(&s->counted, c);
	if (c)
		drop_obj(c);
	bpf_rcu_read_lock();
	c = s->counted;
	if (c) {
		c = bpf_refcount_acquire_impl(c, 0);
		if (c) {
			data = c->data;
			drop_obj(c);
		}
	}
	bpf_rcu_read_unlock();
	return data;
}

SEC("syscall")
int kptr_read_unchecked(void *ctx)
{
	struct slot *s = slot0();
	int hit;

	if (!s)
		return 0;
	bpf_rcu_read_lock();
	hit = bpf_cpumask_test_cpu(0, (const struct cpumask *)s->mask);
	bpf_rcu_read_unlock();
	return hit;
}

SEC("syscall")
int kptr_read_outside_rcu(void *ctx)
{
	struct slot *s = slot0();
	struct bpf_cpumask *m;

	if (!s)
		return 0;
	m = s->mask;
	if (!m)
		return 0;
	return bpf_cpumask_test_cpu(0, (const struct cpumask *)m);
}

SEC("syscall")
int kptr_plain_store(void *ctx)
{
	struct slot *s = slot0();

	if (!s)
		return 0;
	s->mask = 0;
	return 1;
}

SEC("syscall")
int kptr_partial_read(void *ctx)
{
	struct slot *s = slot0();

	if (!s)
		return 0;
	return *(volatile __u32 *)&s->mask;
}

SEC("syscall")
int kptr_helper_write(void *ctx)
{
	struct slot *s = slot0();

	if (!s)
		return 0;
	/* The helper's destination spans stamp and the task field. */
	return bpf_probe_read_kernel(s, 16, 0);
}

SEC("syscall")
int kptr_xchg_leak(void *ctx)
{
	struct slot *s = slot0();
	struct bpf_cpumask *m;

	if (!s)
		return 0;
	m = bpf_cpumask_create();
	if (!m)
		return 0;
	bpf_kptr_xchg(&s->mask, m);
	return 1;
}

SEC("syscall")
int kptr_xchg_unreferenced(void *ctx)
{
	struct slot *s = slot0();
	struct bpf_cpumask *m;

	if (!s)
		return 0;
	bpf_rcu_read_lock();
	m = s->mask;
	if (m) {
		m = bpf_kptr_xchg(&s->mask, m);
		if (m)
			bpf_cpumask_release(m);
	}
	bpf_rcu_read_unlock();
	return 1;
}

SEC("syscall")
int refcount_without_field(void *ctx)
{
	struct uncounted *p = new_obj(struct uncounted), *again;

	if (!p)
		return 0;
	again = bpf_refcount_acquire_impl(p, 0);
	if (again)
		drop_obj(again);
	drop_obj(p);
	return 1;
}

SEC("syscall")
int refcount_plain_type(void *ctx)
{
	struct plain *p = new_obj(struct plain), *again;

	if (!p)
		return 0;
	again = bpf_refcount_acquire_impl(p, 0);
	if (again)
		drop_obj(again);
	drop_obj(p);
	return 1;
}

SEC("syscall")
int alloc_kptr_direct(void *ctx)
{
	struct holder *h = new_obj(struct holder);
	long v;

	if (!h)
		return 0;
	v = (long)*(volatile long *)&h->inner;
	drop_obj(h);
	return v != 0;
}

char LICENSE[] SEC("license") = "GPL";
