// SPDX-License-Identifier: MIT OR Apache-2.0
// Per-CPU objects the program allocates: bpf_percpu_obj_new makes one (owned,
// not readable itself), bpf_kptr_xchg stores it in a map value's
// __percpu_kptr field, and bpf_this_cpu_ptr / bpf_per_cpu_ptr give one CPU's
// copy of it, readable and writable, never NULL as the kernel types it (not
// even bpf_per_cpu_ptr's). The helpers take the object only as an RCU
// pointer: loaded from the field inside an RCU read section, or the owned
// pointer just moved into the field inside one. The kernel's refusals: the
// owned pointer given to the helpers, the moved pointer outside an RCU
// section (it is gone), the loaded pointer unchecked for NULL or moved off
// its start, a struct with a pointer member or a special field or of more
// than 512 bytes, a per-CPU object given to bpf_obj_drop, an object of
// another struct or a plain (not per-CPU) one swapped into the field, and
// the per-CPU pointer itself read or written.
// (SEC("syscall") programs are sleepable: RCU protection needs the lock; tc
// programs are always inside an RCU read section.)
// bpfvet-expect(percpu_stash): accept
// bpfvet-expect(percpu_update_this_cpu): accept
// bpfvet-expect(percpu_other_cpu_unchecked): accept
// bpfvet-expect(percpu_stash_then_use_rcu): accept
// bpfvet-expect(percpu_drop_owned): accept
// bpfvet-expect(percpu_owned_to_helper): reject "R1 type=percpu_ptr_ expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_"
// bpfvet-expect(percpu_moved_outside_rcu): reject "R1 type=scalar expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_"
// bpfvet-expect(percpu_load_unchecked): reject "R1 type=percpu_rcu_ptr_or_null_ expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_"
// bpfvet-expect(percpu_pointer_member): reject "bpf_percpu_obj_new type ID argument must be of a struct of scalars"
// bpfvet-expect(percpu_special_member): reject "bpf_percpu_obj_new type ID argument must not contain special fields"
// bpfvet-expect(percpu_too_big): reject "bpf_percpu_obj_new type size (520) is greater than 512"
// bpfvet-expect(percpu_wrong_drop): reject "arg#0 expected for bpf_percpu_obj_drop_impl()"
// bpfvet-expect(percpu_wrong_type_xchg): reject "invalid kptr access, R2 type=percpu_ptr_small expected=ptr_val"
// bpfvet-expect(percpu_plain_obj_xchg): reject "invalid kptr access, R2 type=ptr_ expected=ptr_val"
// bpfvet-expect(percpu_direct_read): reject "R1 is ptr_val access percpu memory: off=8"
// bpfvet-expect(percpu_owned_direct_write): reject "R0 is ptr_val access percpu memory: off=0"
// bpfvet-expect(percpu_loaded_pointer_offset): reject "dereference of modified percpu_rcu_ptr_ ptr R1 off=8 disallowed"
#include "bpfvet.h"

#define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))

extern void *bpf_percpu_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_percpu_obj_drop_impl(void *kptr, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;

#define percpu_new(type) ((type *)bpf_percpu_obj_new_impl(__builtin_btf_type_id(*(type *)0, 0), 0))
#define percpu_drop(p) bpf_percpu_obj_drop_impl(p, 0)

struct val {
	long a;
	int b[4];
	struct {
		short x, y;
	} pair;
};

struct small {
	long a;
};

struct with_pointer {
	long a;
	char *p;
};

struct with_lock {
	struct bpf_spin_lock lock;
	long a;
};

struct too_big {
	char bytes[520];
};

struct elem {
	long sum;
	struct val __percpu_kptr *pc;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct elem);
} stash SEC(".maps");

static struct elem *slot(void)
{
	int key = 0;

	return bpf_map_lookup_elem(&stash, &key);
}

SEC("tc")
int percpu_stash(struct __sk_buff *skb)
{
	struct elem *e = slot();
	struct val *p;

	if (!e)
		return 0;
	p = percpu_new(struct val);
	if (!p)
		return 0;
	p = bpf_kptr_xchg(&e->pc, p);
	if (p)
		percpu_drop(p);
	return 0;
}

SEC("tc")
int percpu_update_this_cpu(struct __sk_buff *skb)
{
	struct elem *e = slot();
	struct val *p, *v;

	if (!e)
		return 0;
	p = e->pc;
	if (!p)
		return 0;
	v = bpf_this_cpu_ptr(p);
	v->a += skb->len;
	v->b[2] = 7;
	v->pair.y = 1;
	return v->b[1];
}

SEC("tc")
int percpu_other_cpu_unchecked(struct __sk_buff *skb)
{
	struct elem *e = slot();
	struct val *p, *v;

	if (!e)
		return 0;
	p = e->pc;
	if (!p)
		return 0;
	v = bpf_per_cpu_ptr(p, skb->len & 3);
	v->a = 1;
	return 0;
}

SEC("syscall")
int percpu_stash_then_use_rcu(void *ctx)
{
	struct elem *e = slot();
	struct val *p, *old, *v;

	if (!e)
		return 0;
	p = percpu_new(struct val);
	if (!p)
		return 0;
	bpf_rcu_read_lock();
	old = bpf_kptr_xchg(&e->pc, p);
	if (old)
		percpu_drop(old);
	v = bpf_this_cpu_ptr(p);
	v->a = 3;
	bpf_rcu_read_unlock();
	return 0;
}

SEC("tc")
int percpu_drop_owned(struct __sk_buff *skb)
{
	struct val *p = percpu_new(struct val);

	if (p)
		percpu_drop(p);
	return 0;
}

SEC("tc")
int percpu_owned_to_helper(struct __sk_buff *skb)
{
	struct val *p = percpu_new(struct val);
	struct val *v;

	if (!p)
		return 0;
	v = bpf_this_cpu_ptr(p);
	v->a = 1;
	percpu_drop(p);
	return 0;
}

SEC("syscall")
int percpu_moved_outside_rcu(void *ctx)
{
	struct elem *e = slot();
	struct val *p, *old, *v;

	if (!e)
		return 0;
	p = percpu_new(struct val);
	if (!p)
		return 0;
	old = bpf_kptr_xchg(&e->pc, p);
	if (old)
		percpu_drop(old);
	v = bpf_this_cpu_ptr(p);
	return v->a;
}

SEC("tc")
int percpu_load_unchecked(struct __sk_buff *skb)
{
	struct elem *e = slot();
	struct val *v;

	if (!e)
		return 0;
	v = bpf_this_cpu_ptr(e->pc);
	return v->a;
}

SEC("tc")
int percpu_pointer_member(struct __sk_buff *skb)
{
	struct with_pointer *p = percpu_new(struct with_pointer);

	if (p)
		percpu_drop(p);
	return 0;
}

SEC("tc")
int percpu_special_member(struct __sk_buff *skb)
{
	struct with_lock *p = percpu_new(struct with_lock);

	if (p)
		percpu_drop(p);
	return 0;
}

SEC("tc")
int percpu_too_big(struct __sk_buff *skb)
{
	struct too_big *p = percpu_new(struct too_big);

	if (p)
		percpu_drop(p);
	return 0;
}

SEC("tc")
int percpu_wrong_drop(struct __sk_buff *skb)
{
	struct val *p = percpu_new(struct val);

	if (p)
		bpf_obj_drop_impl(p, 0);
	return 0;
}

SEC("tc")
int percpu_wrong_type_xchg(struct __sk_buff *skb)
{
	struct elem *e = slot();
	struct small *p;

	if (!e)
		return 0;
	p = percpu_new(struct small);
	if (!p)
		return 0;
	p = bpf_kptr_xchg(&e->pc, p);
	if (p)
		percpu_drop(p);
	return 0;
}

SEC("tc")
int percpu_plain_obj_xchg(struct __sk_buff *skb)
{
	struct elem *e = slot();
	struct val *p;

	if (!e)
		return 0;
	p = bpf_obj_new_impl(__builtin_btf_type_id(*(struct val *)0, 0), 0);
	if (!p)
		return 0;
	p = bpf_kptr_xchg(&e->pc, p);
	if (p)
		percpu_drop(p);
	return 0;
}

SEC("tc")
int percpu_direct_read(struct __sk_buff *skb)
{
	struct elem *e = slot();
	struct val *p;

	if (!e)
		return 0;
	p = e->pc;
	if (!p)
		return 0;
	return p->b[0];
}

SEC("tc")
int percpu_owned_direct_write(struct __sk_buff *skb)
{
	struct val *p = percpu_new(struct val);

	if (!p)
		return 0;
	p->a = 1;
	percpu_drop(p);
	return 0;
}

SEC("tc")
int percpu_loaded_pointer_offset(struct __sk_buff *skb)
{
	struct elem *e = slot();
	struct val *p, *v;

	if (!e)
		return 0;
	p = e->pc;
	if (!p)
		return 0;
	v = bpf_this_cpu_ptr((void *)p + 8);
	return v->a;
}

BV_GPL;
