// SPDX-License-Identifier: MIT OR Apache-2.0
// Refcounted objects in an rbtree, and a kptr stash: bpf_refcount_acquire
// keeps a second owning reference to an object before bpf_rbtree_add (whose
// less() callback is verified as a callback) hands the first to the tree;
// bpf_kptr_xchg moves an object into a map value's __kptr field and back.
// bpf_rbtree_remove may take a node the program owns when its type is
// refcounted (the removal then fails at run time). The kernel's refusal:
// bpf_rbtree_first without the lock.
// bpfvet-expect(rbtree_add_acquired): accept
// bpfvet-expect(kptr_stash_swap): accept
// bpfvet-expect(rbtree_first_unlocked): reject "bpf_spin_lock at off=0 must be held for bpf_rb_root"
// bpfvet-expect(rbtree_remove_owned): accept
#include "bpfvet.h"

struct bpf_rb_root {
	__u64 __a;
	__u64 __b;
} __attribute__((aligned(8)));
struct bpf_rb_node {
	__u64 __a;
	__u64 __b;
	__u64 __c;
	__u64 __d;
} __attribute__((aligned(8)));
struct bpf_refcount {
	__u32 __a;
} __attribute__((aligned(4)));

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
extern void *bpf_refcount_acquire_impl(void *kptr, void *meta) __ksym;
extern int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node,
			       _Bool (*less)(struct bpf_rb_node *a, const struct bpf_rb_node *b),
			       void *meta, __u64 off) __ksym;
extern struct bpf_rb_node *bpf_rbtree_first(struct bpf_rb_root *root) __ksym;
extern struct bpf_rb_node *bpf_rbtree_remove(struct bpf_rb_root *root,
					     struct bpf_rb_node *node) __ksym;

#define new_obj(type) ((type *)bpf_obj_new_impl(__builtin_btf_type_id(*(type *)0, 0), 0))
#define drop_obj(p) bpf_obj_drop_impl(p, 0)
#define contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))
/* hidden: libbpf leaves a section of hidden variables un-mmapped, which a lock needs */
#define in_section(name) SEC(".bss." #name) __attribute__((visibility("hidden"), aligned(8)))
#define __kptr __attribute__((btf_type_tag("kptr")))

struct entry {
	long key;
	struct bpf_rb_node rb;
	struct bpf_refcount rc;
};

in_section(tree) struct bpf_spin_lock tree_lock;
in_section(tree) struct bpf_rb_root tree_root contains(entry, rb);

struct slot {
	struct entry __kptr *held;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct slot);
} stash SEC(".maps");

static _Bool entry_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	struct entry *x = (struct entry *)((char *)a - __builtin_offsetof(struct entry, rb));
	struct entry *y = (struct entry *)((char *)b - __builtin_offsetof(struct entry, rb));

	return x->key < y->key;
}

SEC("tc")
int rbtree_add_acquired(void *ctx)
{
	struct entry *e = new_obj(struct entry), *again;
	long key;

	if (!e)
		return 0;
	e->key = 5;
	again = bpf_refcount_acquire_impl(e, 0);
	bpf_spin_lock(&tree_lock);
	bpf_rbtree_add_impl(&tree_root, &e->rb, entry_less, 0, 0);
	bpf_spin_unlock(&tree_lock);
	key = again->key;
	drop_obj(again);
	return key;
}

SEC("tc")
int kptr_stash_swap(void *ctx)
{
	struct entry *e = new_obj(struct entry);
	struct slot *s;
	__u32 zero = 0;

	if (!e)
		return 0;
	s = bpf_map_lookup_elem(&stash, &zero);
	if (!s) {
		drop_obj(e);
		return 0;
	}
	e = bpf_kptr_xchg(&s->held, e);
	if (e)
		drop_obj(e);
	return 1;
}

SEC("tc")
int rbtree_first_unlocked(void *ctx)
{
	struct bpf_rb_node *n = bpf_rbtree_first(&tree_root);

	return n ? 1 : 0;
}

SEC("tc")
int rbtree_remove_owned(void *ctx)
{
	struct entry *e = new_obj(struct entry);
	struct bpf_rb_node *n;

	if (!e)
		return 0;
	bpf_spin_lock(&tree_lock);
	n = bpf_rbtree_remove(&tree_root, &e->rb);
	bpf_spin_unlock(&tree_lock);
	drop_obj(e);
	if (n)
		drop_obj((char *)n - __builtin_offsetof(struct entry, rb));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
