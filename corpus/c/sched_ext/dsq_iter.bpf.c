// SPDX-License-Identifier: MIT OR Apache-2.0
// A sched_ext scheduler that walks its shared dispatch queue with the DSQ
// iterator (bpf_iter_scx_dsq_new/next/destroy, Linux 6.12+, RCU-protected)
// before moving its head to the local CPU, and picks an idle CPU among the
// idle mask with scx_bpf_select_cpu_and (6.16+). The kernel's refusal: an
// iterator left undestroyed (the last program: libbpf loads an object's
// programs in order and stops at the first the kernel rejects).
// The machine's kernel has no sched_ext: it refuses the object before
// verification. The verdicts of Debian's generic 6.18.15 with sched_ext
// (`scripts/kernel-oracle --kernel 6.18-generic`) are given after the reason.
// bpfvet-expect(di_select_cpu): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(di_enqueue): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(di_dispatch): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(di_init): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: accept"
// bpfvet-expect(di_iter_leak): refused "libbpf: extern (func ksym) scx_bpf_*: not found in kernel or module BTFs (no CONFIG_SCHED_CLASS_EXT here); Debian 6.18.15 with sched_ext: reject \"BPF_EXIT instruction in main prog would lead to reference leak\""
#include "sched_ext.h"

#define SHARED_DSQ 0

struct bpf_iter_scx_dsq {
	__u64 __opaque[6];
} __attribute__((aligned(8)));

extern int bpf_iter_scx_dsq_new(struct bpf_iter_scx_dsq *it, __u64 dsq_id, __u64 flags) __ksym;
extern struct task_struct *bpf_iter_scx_dsq_next(struct bpf_iter_scx_dsq *it) __ksym;
extern void bpf_iter_scx_dsq_destroy(struct bpf_iter_scx_dsq *it) __ksym;
extern __s32 scx_bpf_select_cpu_and(struct task_struct *p, __s32 prev_cpu, __u64 wake_flags,
				    const struct cpumask *cpus_allowed, __u64 flags) __ksym;

__u64 queued_seen;

SEC("struct_ops/di_select_cpu")
__s32 BPF_PROG(di_select_cpu, struct task_struct *p, __s32 prev_cpu, __u64 wake_flags)
{
	const struct cpumask *idle = scx_bpf_get_idle_cpumask();
	__s32 cpu = scx_bpf_select_cpu_and(p, prev_cpu, wake_flags, idle, 0);

	scx_bpf_put_idle_cpumask(idle);
	return cpu >= 0 ? cpu : prev_cpu;
}

SEC("struct_ops/di_enqueue")
void BPF_PROG(di_enqueue, struct task_struct *p, __u64 enq_flags)
{
	scx_bpf_dsq_insert(p, SHARED_DSQ, SCX_SLICE_DFL, enq_flags);
}

SEC("struct_ops/di_dispatch")
void BPF_PROG(di_dispatch, __s32 cpu, struct task_struct *prev)
{
	struct bpf_iter_scx_dsq it;
	struct task_struct *p;
	__u64 n = 0;

	bpf_iter_scx_dsq_new(&it, SHARED_DSQ, 0);
	while ((p = bpf_iter_scx_dsq_next(&it)) && n < 16)
		n++;
	bpf_iter_scx_dsq_destroy(&it);
	queued_seen = n;
	scx_bpf_dsq_move_to_local(SHARED_DSQ);
}

SEC("struct_ops.s/di_init")
__s32 BPF_PROG(di_init)
{
	return scx_bpf_create_dsq(SHARED_DSQ, -1);
}

SEC("struct_ops/di_iter_leak")
void BPF_PROG(di_iter_leak, __s32 cpu)
{
	struct bpf_iter_scx_dsq it;

	bpf_iter_scx_dsq_new(&it, SHARED_DSQ, 0);
	if (bpf_iter_scx_dsq_next(&it))
		queued_seen++;
}

SEC(".struct_ops.link")
struct sched_ext_ops dsq_iter = {
	.select_cpu = (void *)di_select_cpu,
	.enqueue = (void *)di_enqueue,
	.dispatch = (void *)di_dispatch,
	.cpu_online = (void *)di_iter_leak,
	.init = (void *)di_init,
	.name = "dsq_iter",
};

char LICENSE[] SEC("license") = "GPL";
