// SPDX-License-Identifier: MIT OR Apache-2.0
// Referenced kernel objects through kfuncs: a task and a cgroup acquired and
// released, and the ways the kernel refuses them: a reference leaked at exit,
// a release of a pointer that holds no reference, a NULL-able result passed on
// unchecked, an untrusted pointer (reached by walking a field) where trust is needed, and
// a kfunc called from a program type whose kfunc hook does not have it.
// bpfvet-expect(task_acquire_release): accept
// bpfvet-expect(task_from_pid_release): accept
// bpfvet-expect(cgroup_from_id_release): accept
// bpfvet-expect(task_leak): reject "Unreleased reference"
// bpfvet-expect(task_release_unacquired): reject "release kernel function bpf_task_release expects refcounted PTR_TO_BTF_ID"
// bpfvet-expect(task_unchecked_null): reject "Possibly NULL pointer passed to trusted arg0"
// bpfvet-expect(task_untrusted_arg): reject "R1 must be a rcu pointer"
// bpfvet-expect(task_kfunc_raw_tp): reject "calling kernel function bpf_task_from_pid is not allowed"
#include "bpfvet.h"

struct task_struct {
	struct task_struct *last_wakee;
} __attribute__((preserve_access_index));
struct cgroup {
	int __unused;
};

extern struct task_struct *bpf_task_acquire(struct task_struct *p) __ksym;
extern void bpf_task_release(struct task_struct *p) __ksym;
extern struct task_struct *bpf_task_from_pid(int pid) __ksym;
extern struct cgroup *bpf_cgroup_from_id(unsigned long long cgid) __ksym;
extern void bpf_cgroup_release(struct cgroup *cgrp) __ksym;

/* tp_btf/sched_switch: (bool preempt, struct task_struct *prev, *next, ...);
 * tp_btf arguments are trusted. */
SEC("tp_btf/sched_switch")
int task_acquire_release(unsigned long long *ctx)
{
	struct task_struct *next = (struct task_struct *)ctx[2];
	struct task_struct *t = bpf_task_acquire(next);

	if (!t)
		return 0;
	bpf_task_release(t);
	return 0;
}

SEC("syscall")
int task_from_pid_release(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);

	if (!t)
		return 0;
	bpf_task_release(t);
	return 1;
}

SEC("syscall")
int cgroup_from_id_release(void *ctx)
{
	struct cgroup *c = bpf_cgroup_from_id(1);

	if (!c)
		return 0;
	bpf_cgroup_release(c);
	return 1;
}

SEC("syscall")
int task_leak(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);

	return t ? 1 : 0;
}

SEC("tp_btf/sched_switch")
int task_release_unacquired(unsigned long long *ctx)
{
	struct task_struct *next = (struct task_struct *)ctx[2];

	bpf_task_release(next);
	return 0;
}

SEC("syscall")
int task_unchecked_null(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);
	struct task_struct *u = bpf_task_acquire(t);

	if (u)
		bpf_task_release(u);
	if (t)
		bpf_task_release(t);
	return 0;
}

/* A pointer reached by walking a field that the kernel lists neither as trusted
 * nor as RCU-protected is neither. */
SEC("tp_btf/sched_switch")
int task_untrusted_arg(unsigned long long *ctx)
{
	struct task_struct *next = (struct task_struct *)ctx[2];
	struct task_struct *t = bpf_task_acquire(next->last_wakee);

	if (t)
		bpf_task_release(t);
	return 0;
}

SEC("raw_tp/sys_enter")
int task_kfunc_raw_tp(void *ctx)
{
	struct task_struct *t = bpf_task_from_pid(1);

	if (t)
		bpf_task_release(t);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
