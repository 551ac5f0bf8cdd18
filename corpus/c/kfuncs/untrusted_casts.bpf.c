// SPDX-License-Identifier: MIT OR Apache-2.0
// Reading kernel objects through BTF: bpf_rdonly_cast to a struct gives an
// object the program may read but never pass on, and a read of a struct member
// must end inside that member. The kernel refuses a cast to a type that is not
// a struct, a cast result handed to a helper that wants a kernel object, and a
// helper reading past the end of task->comm.
// bpfvet-expect(cast_then_read): accept
// bpfvet-expect(comm_whole): accept
// bpfvet-expect(cast_to_u64): reject "kfunc bpf_rdonly_cast type ID argument must be of a struct or void"
// bpfvet-expect(cast_to_helper): reject "R2 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_"
// bpfvet-expect(comm_past_end): reject "access beyond the end of member comm"
// bpfvet-expect(comm_shifted_past_end): reject "access beyond the end of member comm"
#include "bpfvet.h"
#include <bpf/bpf_core_read.h>

struct task_struct {
	int pid;
	char comm[16];
} __attribute__((preserve_access_index));

extern void *bpf_rdonly_cast(const void *obj__ign, __u32 btf_id__k) __ksym;

struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, long);
} task_seen SEC(".maps");

SEC("tp_btf/task_newtask")
int cast_then_read(__u64 *ctx)
{
	struct task_struct *t = (void *)bpf_get_current_task();
	struct task_struct *seen;

	seen = bpf_rdonly_cast(t, bpf_core_type_id_kernel(struct task_struct));
	return seen->pid & 1;
}

SEC("tp_btf/task_newtask")
int comm_whole(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];

	return bpf_strncmp(task->comm, 16, "init") == 0;
}

SEC("tp_btf/task_newtask")
int cast_to_u64(__u64 *ctx)
{
	__u64 *v = bpf_rdonly_cast(ctx, bpf_core_type_id_kernel(__u64));

	return v != 0;
}

SEC("tp_btf/task_newtask")
int cast_to_helper(__u64 *ctx)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct task_struct *copy;

	copy = bpf_rdonly_cast(task, bpf_core_type_id_kernel(struct task_struct));
	bpf_task_storage_get(&task_seen, copy, 0, 0);
	return 0;
}

SEC("tp_btf/task_newtask")
int comm_past_end(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];

	return bpf_strncmp(task->comm, 17, "init") == 0;
}

SEC("tp_btf/task_newtask")
int comm_shifted_past_end(__u64 *ctx)
{
	struct task_struct *task = (void *)ctx[0];

	return bpf_strncmp(task->comm + 4, 16, "init") == 0;
}

BV_GPL;
