// SPDX-License-Identifier: MIT OR Apache-2.0
// A pointer member that points to no struct (void *, char *, an int, a
// function) reads, from Linux 6.17 on, as read-only untrusted memory of size 0
// (rdonly_untrusted_mem): loads through it at any offset are probe loads,
// stores are refused, and no helper takes it. bpf_rdonly_cast(p, 0) gives the
// same. Before 6.17 the member read as a number and the cast to void was
// refused.
// bpfvet-expect(stack_read): accept
// bpfvet-expect(stack_read_far): accept
// bpfvet-expect(stack_read_var_off): accept
// bpfvet-expect(void_cast_read): accept
// bpfvet-expect(stack_null_check): accept
// bpfvet-expect(stack_write): reject "cannot write into rdonly_untrusted_mem"
// bpfvet-expect(void_cast_write): reject "cannot write into rdonly_untrusted_mem"
// bpfvet-expect(stack_to_helper): reject "R1 type=rdonly_untrusted_mem expected="
// bpfvet-expect(stack_to_percpu_helper): reject "R1 type=rdonly_untrusted_mem expected=percpu_ptr_"
#include "bpfvet.h"

struct task_struct {
	void *stack;
	int pid;
} __attribute__((preserve_access_index));

extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

SEC("tp_btf/task_newtask")
int stack_read(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	__u64 *stack = task->stack;

	return stack[0] & 1;
}

SEC("tp_btf/task_newtask")
int stack_read_far(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	char *stack = task->stack;

	/* No bounds: the load is a probe of whatever lies there. */
	return stack[100000] & 1;
}

SEC("tp_btf/task_newtask")
int stack_read_var_off(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	char *stack = task->stack;
	__u32 i = bpf_get_prandom_u32();

	return stack[i] & 1;
}

SEC("tp_btf/task_newtask")
int void_cast_read(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	int *pid = bpf_rdonly_cast(&task->pid, 0);

	return *pid & 1;
}

SEC("tp_btf/task_newtask")
int stack_null_check(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	char *stack = task->stack;

	/* The kernel does not know this pointer is not NULL: both ways are checked. */
	if (!stack)
		return 0;
	return stack[8] & 1;
}

SEC("tp_btf/task_newtask")
int stack_write(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	__u64 *stack = task->stack;

	stack[0] = 0;
	return 0;
}

SEC("tp_btf/task_newtask")
int void_cast_write(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];
	int *pid = bpf_rdonly_cast(&task->pid, 0);

	*pid = 1;
	return 0;
}

SEC("tp_btf/task_newtask")
int stack_to_helper(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];

	return bpf_strncmp(task->stack, 4, "abc") == 0;
}

SEC("tp_btf/task_newtask")
int stack_to_percpu_helper(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];

	return bpf_this_cpu_ptr(task->stack) != 0;
}

BV_GPL;
