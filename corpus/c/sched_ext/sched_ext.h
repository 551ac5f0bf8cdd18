// SPDX-License-Identifier: MIT OR Apache-2.0
// What a sched_ext scheduler needs from the kernel, declared without vmlinux.h:
// the opaque kernel structs its callbacks receive, the callback table (struct
// sched_ext_ops: libbpf matches its members to the kernel's by name, so only the
// members used are declared) and the scx_bpf_* kfuncs (Linux 6.13+ names; their
// prototypes must match the kernel's BTF).
#ifndef BPFVET_SCHED_EXT_H
#define BPFVET_SCHED_EXT_H
#include "bpfvet.h"
#include <bpf/bpf_tracing.h>

struct task_struct {
	int __unused;
};
struct cpumask {
	int __unused;
};
struct scx_init_task_args {
	_Bool fork;
};
struct scx_exit_task_args {
	_Bool cancelled;
};
struct scx_exit_info {
	int kind;
};

struct sched_ext_ops {
	__s32 (*select_cpu)(struct task_struct *p, __s32 prev_cpu, __u64 wake_flags);
	void (*enqueue)(struct task_struct *p, __u64 enq_flags);
	void (*dequeue)(struct task_struct *p, __u64 deq_flags);
	void (*dispatch)(__s32 cpu, struct task_struct *prev);
	void (*runnable)(struct task_struct *p, __u64 enq_flags);
	void (*running)(struct task_struct *p);
	void (*stopping)(struct task_struct *p, _Bool runnable);
	void (*quiescent)(struct task_struct *p, __u64 deq_flags);
	__s32 (*init_task)(struct task_struct *p, struct scx_init_task_args *args);
	void (*exit_task)(struct task_struct *p, struct scx_exit_task_args *args);
	void (*enable)(struct task_struct *p);
	void (*cpu_online)(__s32 cpu);
	__s32 (*init)(void);
	void (*exit)(struct scx_exit_info *info);
	char name[128];
};

/* Dispatch queue ids (include/linux/sched/ext.h, enum scx_dsq_id_flags). */
#define SCX_DSQ_FLAG_BUILTIN (1ULL << 63)
#define SCX_DSQ_GLOBAL (SCX_DSQ_FLAG_BUILTIN | 1)
#define SCX_DSQ_LOCAL (SCX_DSQ_FLAG_BUILTIN | 2)
#define SCX_SLICE_DFL 20000000ULL
#define SCX_KICK_IDLE 1

extern __s32 scx_bpf_create_dsq(__u64 dsq_id, __s32 node) __ksym;
extern void scx_bpf_dsq_insert(struct task_struct *p, __u64 dsq_id, __u64 slice,
			       __u64 enq_flags) __ksym;
extern void scx_bpf_dsq_insert_vtime(struct task_struct *p, __u64 dsq_id, __u64 slice,
				     __u64 vtime, __u64 enq_flags) __ksym;
extern _Bool scx_bpf_dsq_move_to_local(__u64 dsq_id) __ksym;
extern __s32 scx_bpf_dsq_nr_queued(__u64 dsq_id) __ksym;
extern __s32 scx_bpf_select_cpu_dfl(struct task_struct *p, __s32 prev_cpu, __u64 wake_flags,
				    _Bool *is_idle) __ksym;
extern void scx_bpf_kick_cpu(__s32 cpu, __u64 flags) __ksym;
extern __s32 scx_bpf_task_cpu(const struct task_struct *p) __ksym;
extern __u32 scx_bpf_nr_cpu_ids(void) __ksym;
extern const struct cpumask *scx_bpf_get_idle_cpumask(void) __ksym;
extern void scx_bpf_put_idle_cpumask(const struct cpumask *cpumask) __ksym;
extern _Bool scx_bpf_test_and_clear_cpu_idle(__s32 cpu) __ksym;
extern void scx_bpf_error_bstr(char *fmt, unsigned long long *data, __u32 data__sz) __ksym;
extern _Bool bpf_cpumask_test_cpu(__u32 cpu, const struct cpumask *cpumask) __ksym;

#endif
