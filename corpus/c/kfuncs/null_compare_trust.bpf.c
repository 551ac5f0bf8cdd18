// SPDX-License-Identifier: MIT OR Apache-2.0
// A kernel object compared with NULL that the verifier knows is not NULL: it
// drops the NULL edge only for a trusted pointer (bpf_cast_to_kern_ctx's
// struct sk_buff, or a pointer holding a reference); for a pointer walked
// from one (skb->sk), a kptr loaded under RCU or this CPU's copy of a per-CPU
// object it explores both edges, so an exit on the NULL edge with an RCU
// read section still open is refused even though the pointer is never NULL
// at run time. (tc programs may open RCU read sections of their own.)
// bpfvet-expect(trusted_ctx_null_edge_dropped): accept
// bpfvet-expect(walked_null_edge_explored): reject "BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region"
// bpfvet-expect(percpu_copy_null_edge_explored): reject "BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region"
// bpfvet-expect(owned_percpu_null_edge_dropped): accept
#include "bpfvet.h"

#define __percpu_kptr __attribute__((btf_type_tag("percpu_kptr")))

struct sock;
struct sk_buff {
	struct sock *sk;
} __attribute__((preserve_access_index));

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern void *bpf_percpu_obj_new_impl(__u64 local_type_id, void *meta) __ksym;
extern void bpf_percpu_obj_drop_impl(void *kptr, void *meta) __ksym;

struct counters {
	long packets;
};

struct elem {
	struct counters __percpu_kptr *pc;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct elem);
} stash SEC(".maps");

SEC("tc")
int trusted_ctx_null_edge_dropped(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);

	bpf_rcu_read_lock();
	if (!skb)
		return 1;
	bpf_rcu_read_unlock();
	return 0;
}

SEC("tc")
int walked_null_edge_explored(struct __sk_buff *ctx)
{
	struct sk_buff *skb = bpf_cast_to_kern_ctx(ctx);
	struct sock *sk;

	bpf_rcu_read_lock();
	sk = skb->sk;
	if (!sk)
		return 1;
	bpf_rcu_read_unlock();
	return 0;
}

SEC("tc")
int percpu_copy_null_edge_explored(struct __sk_buff *ctx)
{
	int key = 0;
	struct elem *e = bpf_map_lookup_elem(&stash, &key);
	struct counters *p, *c;

	if (!e)
		return 0;
	bpf_rcu_read_lock();
	p = e->pc;
	if (p) {
		c = bpf_this_cpu_ptr(p);
		if (!c)
			return 1;
		c->packets++;
	}
	bpf_rcu_read_unlock();
	return 0;
}

SEC("tc")
int owned_percpu_null_edge_dropped(struct __sk_buff *ctx)
{
	struct counters *p;

	p = bpf_percpu_obj_new_impl(__builtin_btf_type_id(*(struct counters *)0, 0), 0);
	if (!p)
		return 0;
	bpf_rcu_read_lock();
	if (!p)
		return 1;
	bpf_rcu_read_unlock();
	bpf_percpu_obj_drop_impl(p, 0);
	return 0;
}

BV_GPL;
