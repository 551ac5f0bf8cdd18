// SPDX-License-Identifier: MIT OR Apache-2.0
// RCU read sections in a sleepable program (SEC("syscall") programs sleep):
// bpf_rcu_read_lock()/bpf_rcu_read_unlock() around what needs RCU protection
// (a task iterator, whose elements are RCU pointers), and the ways the kernel
// refuses them: an RCU-protected kfunc outside a section, a section left open at
// exit, an unlock with no lock, a sleeping helper inside a section, an
// RCU-protected iterator used after its section ended, and a nested section.
// bpfvet-expect(rcu_task_walk): accept
// bpfvet-expect(rcu_iter_outside_section): reject "kernel func bpf_iter_task_new requires RCU critical section protection"
// bpfvet-expect(rcu_unlock_missing): reject "BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region"
// bpfvet-expect(rcu_unmatched_unlock): reject "unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)"
// bpfvet-expect(rcu_sleep_inside): reject "in rcu_read_lock region"
// bpfvet-expect(rcu_iter_after_unlock): reject "expected an RCU CS when using bpf_iter_task_destroy"
// bpfvet-expect(rcu_nested): reject "nested rcu read lock (kernel function bpf_rcu_read_lock)"
#include "bpfvet.h"

struct bpf_iter_task {
	__u64 __opaque[3];
} __attribute__((aligned(8)));
struct task_struct {
	int __unused;
};

extern void bpf_rcu_read_lock(void) __ksym;
extern void bpf_rcu_read_unlock(void) __ksym;
extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task__nullable, unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __ksym;
extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;

SEC("syscall")
int rcu_task_walk(void *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *t;
	int n = 0;

	bpf_rcu_read_lock();
	bpf_iter_task_new(&it, 0, 0);
	while ((t = bpf_iter_task_next(&it)) && n < 1000)
		n++;
	bpf_iter_task_destroy(&it);
	bpf_rcu_read_unlock();
	return n;
}

SEC("syscall")
int rcu_iter_outside_section(void *ctx)
{
	struct bpf_iter_task it;
	int n = 0;

	bpf_iter_task_new(&it, 0, 0);
	if (bpf_iter_task_next(&it))
		n++;
	bpf_iter_task_destroy(&it);
	return n;
}

SEC("syscall")
int rcu_unlock_missing(void *ctx)
{
	bpf_rcu_read_lock();
	return 0;
}

SEC("syscall")
int rcu_unmatched_unlock(void *ctx)
{
	bpf_rcu_read_unlock();
	return 0;
}

SEC("syscall")
int rcu_sleep_inside(void *ctx)
{
	char buf[8];

	bpf_rcu_read_lock();
	bpf_copy_from_user(buf, sizeof(buf), (void *)0x1000);
	bpf_rcu_read_unlock();
	return buf[0];
}

SEC("syscall")
int rcu_iter_after_unlock(void *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *t, *got = 0;

	bpf_rcu_read_lock();
	bpf_iter_task_new(&it, 0, 0);
	t = bpf_iter_task_next(&it);
	bpf_rcu_read_unlock();
	if (t)
		got = bpf_task_acquire(t);
	bpf_iter_task_destroy(&it);
	if (got)
		bpf_task_release(got);
	return 0;
}

SEC("syscall")
int rcu_nested(void *ctx)
{
	bpf_rcu_read_lock();
	bpf_rcu_read_lock();
	bpf_rcu_read_unlock();
	bpf_rcu_read_unlock();
	return 0;
}

char _license[] SEC("license") = "GPL";
