// SPDX-License-Identifier: MIT OR Apache-2.0
// Exceptions (Linux 6.7+): bpf_throw(cookie) unwinds the program, into the
// exception callback its BTF names (__exception_cb) or, without one, returning
// the cookie; an assertion is a compare and a throw. The ways the kernel refuses
// them: a throw holding a reference or inside an RCU read section, a cookie
// outside the program type's return range, a throw from a bpf_loop callback, a
// direct call of the exception callback, and a callback of two arguments.
// bpfvet-expect(throw_to_callback): accept
// bpfvet-expect(throw_default_cookie): accept
// bpfvet-expect(assert_then_use): accept
// bpfvet-expect(throw_holding_reference): reject "bpf_throw would lead to reference leak"
// bpfvet-expect(throw_in_rcu_section): reject "bpf_throw cannot be used inside bpf_rcu_read_lock-ed region"
// bpfvet-expect(throw_bad_cookie): reject "At program exit the register R1 has"
// bpfvet-expect(throw_from_loop_callback): reject "cannot be called from callback subprog"
// bpfvet-expect(callback_called_directly): reject "cannot call exception cb directly"
// bpfvet-expect(callback_two_args): reject "exception cb only supports single integer argument"
#include "bpfvet.h"

struct task_struct {
	int __unused;
};

extern void bpf_throw(__u64 cookie) __ksym;
extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

#define exception_cb(name) __attribute__((btf_decl_tag("exception_callback:" #name)))

__noinline int on_throw(__u64 cookie)
{
	return cookie == 7 ? 2 : 0;
}

__noinline int on_throw_two(__u64 cookie, int extra)
{
	return 0;
}

SEC("tc")
exception_cb(on_throw)
int throw_to_callback(struct __sk_buff *skb)
{
	if (skb->len > 1000)
		bpf_throw(7);
	return 0;
}

SEC("cgroup_skb/ingress")
int throw_default_cookie(struct __sk_buff *skb)
{
	if (skb->len < 14)
		bpf_throw(0);
	return 1;
}

SEC("tc")
int assert_then_use(struct __sk_buff *skb)
{
	__u32 off = skb->mark;

	/* An assertion: the throw ends every path where it does not hold. */
	if (off >= 64)
		bpf_throw(0);
	char buf[64] = {};
	return buf[off];
}

SEC("tc")
int throw_holding_reference(struct __sk_buff *skb)
{
	struct task_struct *t = bpf_task_from_pid(1);

	if (!t)
		return 0;
	if (skb->len > 1000)
		bpf_throw(0);
	bpf_task_release(t);
	return 0;
}

SEC("tc")
int throw_in_rcu_section(struct __sk_buff *skb)
{
	bpf_rcu_read_lock();
	if (skb->len > 1000)
		bpf_throw(0);
	bpf_rcu_read_unlock();
	return 0;
}

SEC("cgroup_skb/ingress")
int throw_bad_cookie(struct __sk_buff *skb)
{
	if (skb->len < 14)
		bpf_throw(5);
	return 1;
}

static int throwing_step(__u32 i, void *ctx)
{
	if (i == 3)
		bpf_throw(0);
	return 0;
}

SEC("tc")
int throw_from_loop_callback(struct __sk_buff *skb)
{
	bpf_loop(8, throwing_step, 0, 0);
	return 0;
}

SEC("tc")
exception_cb(on_throw)
int callback_called_directly(struct __sk_buff *skb)
{
	return on_throw(skb->len);
}

SEC("tc")
exception_cb(on_throw_two)
int callback_two_args(struct __sk_buff *skb)
{
	if (skb->len > 1000)
		bpf_throw(1);
	return 0;
}

BV_GPL;
