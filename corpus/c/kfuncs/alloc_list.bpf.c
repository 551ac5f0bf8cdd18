// SPDX-License-Identifier: MIT OR Apache-2.0
// Allocated objects in a linked list: bpf_obj_new makes an object of the
// program's own type, bpf_list_push_back hands it to a list head guarded by
// the spin lock beside it in a global section, bpf_list_pop_front gives one
// back to free. The kernel's refusals: a push without the lock, a use of the
// pushed object after the unlock, an object never freed, a freed object
// written, and a direct write to the list node.
// bpfvet-expect(list_roundtrip): accept
// bpfvet-expect(list_push_unlocked): reject "bpf_spin_lock at off=0 must be held for bpf_list_head"
// bpfvet-expect(list_use_after_unlock): reject "invalid mem access 'scalar'"
// bpfvet-expect(obj_leak): reject "Unreleased reference"
// bpfvet-expect(obj_use_after_drop): reject "invalid mem access 'scalar'"
// bpfvet-expect(obj_touch_node): reject "direct access to bpf_list_node is disallowed"
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

extern void *bpf_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_obj_drop_impl(void *kptr, void *meta) __ksym;
extern int bpf_list_push_back_impl(struct bpf_list_head *head, struct bpf_list_node *node,
				   void *meta, __u64 off) __ksym;
extern struct bpf_list_node *bpf_list_pop_front(struct bpf_list_head *head) __ksym;

#define new_obj(type) ((type *)bpf_obj_new_impl(__builtin_btf_type_id(*(type *)0, 0), 0))
#define drop_obj(p) bpf_obj_drop_impl(p, 0)
#define contains(name, node) __attribute__((btf_decl_tag("contains:" #name ":" #node)))
/* hidden: libbpf leaves a section of hidden variables un-mmapped, which a lock needs */
#define in_section(name) SEC(".bss." #name) __attribute__((visibility("hidden"), aligned(8)))

struct item {
	long value;
	struct bpf_list_node link;
};

in_section(items) struct bpf_spin_lock items_lock;
in_section(items) struct bpf_list_head items_head contains(item, link);

SEC("tc")
int list_roundtrip(void *ctx)
{
	struct bpf_list_node *n;
	struct item *it = new_obj(struct item);
	long v;

	if (!it)
		return 0;
	it->value = 7;
	bpf_spin_lock(&items_lock);
	bpf_list_push_back_impl(&items_head, &it->link, 0, 0);
	n = bpf_list_pop_front(&items_head);
	bpf_spin_unlock(&items_lock);
	if (!n)
		return 1;
	it = (struct item *)((char *)n - __builtin_offsetof(struct item, link));
	v = it->value;
	drop_obj(it);
	return v;
}

SEC("tc")
int list_push_unlocked(void *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 0;
	bpf_list_push_back_impl(&items_head, &it->link, 0, 0);
	return 0;
}

SEC("tc")
int list_use_after_unlock(void *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 0;
	bpf_spin_lock(&items_lock);
	bpf_list_push_back_impl(&items_head, &it->link, 0, 0);
	bpf_spin_unlock(&items_lock);
	it->value = 1;
	return 0;
}

SEC("tc")
int obj_leak(void *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 0;
	it->value = 3;
	return 1;
}

SEC("tc")
int obj_use_after_drop(void *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 0;
	drop_obj(it);
	it->value = 3;
	return 1;
}

SEC("tc")
int obj_touch_node(void *ctx)
{
	struct item *it = new_obj(struct item);

	if (!it)
		return 0;
	it->link.__a = 0;
	drop_obj(it);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
