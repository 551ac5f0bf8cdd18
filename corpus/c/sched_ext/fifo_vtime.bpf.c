// SPDX-License-Identifier: MIT OR Apache-2.0
// A small sched_ext scheduler (struct sched_ext_ops): tasks go to one shared
// dispatch queue ordered by virtual time, an idle CPU found at wake-up takes
// its task directly, and dispatch moves the queue's head to the local CPU.
// Each callback is a struct_ops program whose context is its member's
// arguments; init creates the queue (scx_bpf_create_dsq is sleepable, so init
// is a sleepable callback), and the idle cpumask is taken and put back.
// The machine's kernel has no sched_ext: it refuses the object before
// verification. The verdicts of a kernel with sched_ext (Debian's generic
// 6.18, `scripts/kernel-oracle --kernel 6.18-generic`) are recorded in
// analyzer/src/verifier/kernel_cases/sched_ext.rs.
// bpfvet-expect(fv_select_cpu): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(fv_enqueue): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(fv_dispatch): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(fv_running): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(fv_stopping): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(fv_init_task): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(fv_init): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(fv_exit): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
#include "sched_ext.h"

#define SHARED_DSQ 0

/* Per-task virtual time is kept in the scheduler's own counter here (a task
 * storage map would be the real choice): the vtime the queue orders by. */
__u64 vtime_now;

SEC("struct_ops/fv_select_cpu")
__s32 BPF_PROG(fv_select_cpu, struct task_struct *p, __s32 prev_cpu, __u64 wake_flags)
{
	_Bool is_idle = 0;
	__s32 cpu = scx_bpf_select_cpu_dfl(p, prev_cpu, wake_flags, &is_idle);

	if (is_idle)
		scx_bpf_dsq_insert(p, SCX_DSQ_LOCAL, SCX_SLICE_DFL, 0);
	return cpu;
}

SEC("struct_ops/fv_enqueue")
void BPF_PROG(fv_enqueue, struct task_struct *p, __u64 enq_flags)
{
	const struct cpumask *idle;
	__s32 cpu = scx_bpf_task_cpu(p);

	scx_bpf_dsq_insert_vtime(p, SHARED_DSQ, SCX_SLICE_DFL, vtime_now, enq_flags);
	idle = scx_bpf_get_idle_cpumask();
	if (cpu >= 0 && bpf_cpumask_test_cpu(cpu, idle))
		scx_bpf_kick_cpu(cpu, SCX_KICK_IDLE);
	scx_bpf_put_idle_cpumask(idle);
}

SEC("struct_ops/fv_dispatch")
void BPF_PROG(fv_dispatch, __s32 cpu, struct task_struct *prev)
{
	if (scx_bpf_dsq_nr_queued(SHARED_DSQ) > 0)
		scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

SEC("struct_ops/fv_running")
void BPF_PROG(fv_running, struct task_struct *p)
{
	vtime_now += 1;
}

SEC("struct_ops/fv_stopping")
void BPF_PROG(fv_stopping, struct task_struct *p, _Bool runnable)
{
	if (!runnable)
		vtime_now += 2;
}

SEC("struct_ops/fv_init_task")
__s32 BPF_PROG(fv_init_task, struct task_struct *p, struct scx_init_task_args *args)
{
	return args->fork ? 0 : 0;
}

SEC("struct_ops.s/fv_init")
__s32 BPF_PROG(fv_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

SEC("struct_ops/fv_exit")
void BPF_PROG(fv_exit, struct scx_exit_info *info)
{
	vtime_now = info->kind;
}

SEC(".struct_ops.link")
struct sched_ext_ops fifo_vtime = {
	.select_cpu = (void *)fv_select_cpu,
	.enqueue = (void *)fv_enqueue,
	.dispatch = (void *)fv_dispatch,
	.running = (void *)fv_running,
	.stopping = (void *)fv_stopping,
	.init_task = (void *)fv_init_task,
	.init = (void *)fv_init,
	.exit = (void *)fv_exit,
	.name = "fifo_vtime",
};

char LICENSE[] SEC("license") = "GPL";
