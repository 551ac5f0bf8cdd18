// SPDX-License-Identifier: MIT OR Apache-2.0
// What the verifier refuses in sched_ext callbacks, one callback each:
// the idle cpumask taken and never put back, a sleepable kfunc from a callback
// that is not sleepable, a sleepable enqueue (only some callbacks may sleep),
// dispatch's previous task used before its NULL check (the kernel passes NULL
// when the CPU ran no task), an idle cpumask put back twice, and a dispatch
// kfunc called from a program type it is not registered for.
// The machine's kernel has no sched_ext and refuses the object before
// verification; the verdicts of Debian's generic 6.18.15 with sched_ext
// (scripts/kernel-oracle --kernel 6.18-generic) follow each refusal and are
// asserted in analyzer/src/verifier/kernel_cases/sched_ext.rs.
// bpfvet-expect(rj_leak_idle): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: reject 'BPF_EXIT instruction in main prog would lead to reference leak'"
// bpfvet-expect(rj_sleep_in_dispatch): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: reject 'program must be sleepable to call sleepable kfunc scx_bpf_create_dsq'"
// bpfvet-expect(rj_sleepable_enqueue): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: reject 'attach to unsupported member enqueue of struct sched_ext_ops'"
// bpfvet-expect(rj_prev_unchecked): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: reject 'R1 invalid mem access trusted_ptr_or_null_'"
// bpfvet-expect(rj_put_twice): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: reject 'R1 type=scalar expected=fp'"
// bpfvet-expect(runtime_checked_move): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept (the callback is checked at run time)"
// bpfvet-expect(rj_syscall_move): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: reject 'calling kernel function scx_bpf_dsq_move_to_local is not allowed'"
#include "sched_ext.h"

struct task_struct___pid {
	int pid;
} __attribute__((preserve_access_index));

SEC("struct_ops/rj_leak_idle")
void BPF_PROG(rj_leak_idle, struct task_struct *p, __u64 enq_flags)
{
	const struct cpumask *idle = scx_bpf_get_idle_cpumask();

	if (bpf_cpumask_test_cpu(0, idle))
		scx_bpf_kick_cpu(0, SCX_KICK_IDLE);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SEC("struct_ops/rj_sleep_in_dispatch")
void BPF_PROG(rj_sleep_in_dispatch, __s32 cpu, struct task_struct *prev)
{
	scx_bpf_create_dsq(7, -1);
}

SEC("struct_ops.s/rj_sleepable_enqueue")
void BPF_PROG(rj_sleepable_enqueue, struct task_struct *p, __u64 enq_flags)
{
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

SEC("struct_ops/rj_prev_unchecked")
void BPF_PROG(rj_prev_unchecked, __s32 cpu, struct task_struct *prev)
{
	struct task_struct___pid *t = (void *)prev;

	if (t->pid)
		scx_bpf_dsq_move_to_local(SCX_DSQ_GLOBAL);
}

SEC("struct_ops/rj_put_twice")
void BPF_PROG(rj_put_twice, struct task_struct *p, __u64 enq_flags)
{
	const struct cpumask *idle = scx_bpf_get_idle_cpumask();

	scx_bpf_put_idle_cpumask(idle);
	scx_bpf_put_idle_cpumask(idle);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

/* Accepted by the verifier: which callback may call scx_bpf_dsq_move_to_local
 * (dispatch only) is checked when the callback runs, not at load time, on 6.18. */
SEC("struct_ops/runtime_checked_move")
void BPF_PROG(runtime_checked_move, struct task_struct *p, __u64 enq_flags)
{
	scx_bpf_dsq_move_to_local(SCX_DSQ_GLOBAL);
	scx_bpf_dsq_insert(p, SCX_DSQ_GLOBAL, SCX_SLICE_DFL, enq_flags);
}

/* scx_bpf_dsq_move_to_local is registered for struct_ops programs only. */
SEC("syscall")
int rj_syscall_move(void *ctx)
{
	return scx_bpf_dsq_move_to_local(SCX_DSQ_GLOBAL);
}

/* One callback table per program: libbpf loads a table's programs together, so
 * each refusal stands alone. */
#define OPS(var, member, prog)                                                 \
	SEC(".struct_ops.link")                                                \
	struct sched_ext_ops var = {                                           \
		.member = (void *)prog,                                        \
		.name = #var,                                                  \
	}

OPS(ops_leak_idle, enqueue, rj_leak_idle);
OPS(ops_sleep_in_dispatch, dispatch, rj_sleep_in_dispatch);
OPS(ops_sleepable_enqueue, enqueue, rj_sleepable_enqueue);
OPS(ops_prev_unchecked, dispatch, rj_prev_unchecked);
OPS(ops_put_twice, enqueue, rj_put_twice);
OPS(ops_move_in_enqueue, enqueue, runtime_checked_move);

char LICENSE[] SEC("license") = "GPL";
