// SPDX-License-Identifier: MIT OR Apache-2.0
// Looks into lists and rbtrees without taking their nodes out (Linux 6.16+):
// bpf_list_front and bpf_list_back, bpf_rbtree_root, bpf_rbtree_left and
// bpf_rbtree_right return non-owning references, NULL-able, valid while the
// lock is held; from 6.16 too, remove and the child looks take a node the
// program owns (the call then finds nothing). The kernel's refusals: a look
// without the lock, a node read after the unlock, and a child of a node that
// may be NULL.
// bpfvet-expect(list_peek_ends): accept
// bpfvet-expect(rbtree_walk_children): accept
// bpfvet-expect(list_front_unlocked): reject "bpf_spin_lock at off=0 must be held for bpf_list_head"
// bpfvet-expect(list_front_after_unlock): reject "invalid mem access 'scalar'"
// bpfvet-expect(rbtree_remove_of_owned): accept
// bpfvet-expect(rbtree_left_of_owned): accept
// bpfvet-expect(rbtree_right_unchecked): reject "Possibly NULL pointer passed to trusted arg1"
#include "bpfvet.h"

struct bpf_list_head {
	__u64 __a;
	__u64 __b;
} __attribute__((aligned(8)));
struct bpf_list_node {
	__u64 __a;
	__u64 __b;
	__u64 __c;
} __attribute__((aligned(8)));
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

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
extern int bpf_list_push_back_impl(struct bpf_list_head *head, struct bpf_list_node *node,
				   void *meta, __u64 off) __ksym;
extern struct bpf_list_node *bpf_list_front(struct bpf_list_head *head) __ksym;
extern struct bpf_list_node *bpf_list_back(struct bpf_list_head *head) __ksym;
extern int bpf_rbtree_add_impl(struct bpf_rb_root *root, struct bpf_rb_node *node,
			       _Bool (*less)(struct bpf_rb_node *a, const struct bpf_rb_node *b),
			       void *meta, __u64 off) __ksym;
extern struct bpf_rb_node *bpf_rbtree_root(struct bpf_rb_root *root) __ksym;
extern struct bpf_rb_node *bpf_rbtree_left(struct bpf_rb_root *root,
					   struct bpf_rb_node *node) __ksym;
extern struct bpf_rb_node *bpf_rbtree_right(struct bpf_rb_root *root,
					    struct bpf_rb_node *node) __ksym;

#define new_obj(type) ((type *)bpf_obj_new_impl(__builtin_btf_type_id(*(type *)0, 0), 0))
#define drop_obj(p) bpf_obj_drop_impl(p, 0)
#define contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))
/* hidden: libbpf leaves a section of hidden variables un-mmapped, which a lock needs */
#define in_section(name) SEC(".bss." #name) __attribute__((visibility("hidden"), aligned(8)))

struct item {
	long value;
	struct bpf_list_node link;
};

struct leaf {
	long key;
	struct bpf_rb_node rb;
};

in_section(items) struct bpf_spin_lock items_lock;
in_section(items) struct bpf_list_head items_head contains(item, link);
in_section(tree) struct bpf_spin_lock tree_lock;
in_section(tree) struct bpf_rb_root tree_root contains(leaf, rb);

#define item_of(n) ((struct item *)((char *)(n) - __builtin_offsetof(struct item, link)))
#define leaf_of(n) ((struct leaf *)((char *)(n) - __builtin_offsetof(struct leaf, rb)))

static _Bool leaf_less(struct bpf_rb_node *a, const struct bpf_rb_node *b)
{
	return leaf_of(a)->key < leaf_of(b)->key;
}

SEC("tc")
int list_peek_ends(void *ctx)
{
	struct item *it = new_obj(struct item);
	struct bpf_list_node *n;
	long sum = 0;

	if (!it)
		return 0;
	it->value = 3;
	bpf_spin_lock(&items_lock);
	bpf_list_push_back_impl(&items_head, &it->link, 0, 0);
	n = bpf_list_front(&items_head);
	if (n)
		sum += item_of(n)->value;
	n = bpf_list_back(&items_head);
	if (n)
		sum += item_of(n)->value;
	bpf_spin_unlock(&items_lock);
	return sum > 100;
}

SEC("tc")
int rbtree_walk_children(void *ctx)
{
	struct leaf *l = new_obj(struct leaf);
	struct bpf_rb_node *r, *c;
	long key = 0;

	if (!l)
		return 0;
	l->key = 5;
	bpf_spin_lock(&tree_lock);
	bpf_rbtree_add_impl(&tree_root, &l->rb, leaf_less, 0, 0);
	r = bpf_rbtree_root(&tree_root);
	if (r) {
		c = bpf_rbtree_left(&tree_root, r);
		if (c)
			key += leaf_of(c)->key;
		c = bpf_rbtree_right(&tree_root, r);
		if (c)
			key += leaf_of(c)->key;
	}
	bpf_spin_unlock(&tree_lock);
	return key > 10;
}

SEC("tc")
int list_front_unlocked(void *ctx)
{
	struct bpf_list_node *n = bpf_list_front(&items_head);

	return n ? 1 : 0;
}

SEC("tc")
int list_front_after_unlock(void *ctx)
{
	struct bpf_list_node *n;

	bpf_spin_lock(&items_lock);
	n = bpf_list_front(&items_head);
	bpf_spin_unlock(&items_lock);
	if (!n)
		return 0;
	return item_of(n)->value;
}

extern struct bpf_rb_node *bpf_rbtree_remove(struct bpf_rb_root *root,
					     struct bpf_rb_node *node) __ksym;

SEC("tc")
int rbtree_remove_of_owned(void *ctx)
{
	struct leaf *l = new_obj(struct leaf);
	struct bpf_rb_node *c;

	if (!l)
		return 0;
	bpf_spin_lock(&tree_lock);
	c = bpf_rbtree_remove(&tree_root, &l->rb);
	bpf_spin_unlock(&tree_lock);
	drop_obj(l);
	if (c)
		drop_obj(leaf_of(c));
	return 0;
}

SEC("tc")
int rbtree_left_of_owned(void *ctx)
{
	struct leaf *l = new_obj(struct leaf);
	struct bpf_rb_node *c;

	if (!l)
		return 0;
	bpf_spin_lock(&tree_lock);
	c = bpf_rbtree_left(&tree_root, &l->rb);
	bpf_spin_unlock(&tree_lock);
	drop_obj(l);
	return c ? 1 : 0;
}

SEC("tc")
int rbtree_right_unchecked(void *ctx)
{
	struct bpf_rb_node *r, *c;

	bpf_spin_lock(&tree_lock);
	r = bpf_rbtree_root(&tree_root);
	c = bpf_rbtree_right(&tree_root, r);
	bpf_spin_unlock(&tree_lock);
	return c ? 1 : 0;
}

BV_GPL;
