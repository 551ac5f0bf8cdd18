// SPDX-License-Identifier: MIT OR Apache-2.0
// A tour of tracing helpers: pid/tgid, uid/gid, comm, cgroup id, cpu,
// clocks, prandom, current task, bpf_snprintf into a buffer, and
// bpf_get_func_ip from a kprobe.
// bpfvet-expect(helpers_tracepoint): accept
// bpfvet-expect(helpers_kprobe): accept
#include "bpfvet.h"
#include "bpfvet_tracing.h"

struct who {
	__u64 pid_tgid;
	__u64 uid_gid;
	__u64 cgroup;
	__u64 boot_ns;
	__u64 jiffies;
	__u64 task;
	__u64 func_ip;
	__u32 cpu;
	__u32 rnd;
	char comm[16];
	char line[48];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct who);
} who_scratch SEC(".maps");

static const char fmt[] = "pid=%d comm=%s cpu=%u";

SEC("tracepoint/syscalls/sys_enter_kill")
int helpers_tracepoint(void *ctx)
{
	__u32 zero = 0;
	struct who *w = bpf_map_lookup_elem(&who_scratch, &zero);
	__u64 args[3];

	if (!w)
		return 0;
	w->pid_tgid = bpf_get_current_pid_tgid();
	w->uid_gid = bpf_get_current_uid_gid();
	w->cgroup = bpf_get_current_cgroup_id();
	w->boot_ns = bpf_ktime_get_boot_ns();
	w->jiffies = bpf_jiffies64();
	w->task = bpf_get_current_task();
	w->cpu = bpf_get_smp_processor_id();
	w->rnd = bpf_get_prandom_u32();
	bpf_get_current_comm(w->comm, sizeof(w->comm));
	args[0] = w->pid_tgid >> 32;
	args[1] = (__u64)(long)w->comm;
	args[2] = w->cpu;
	bpf_snprintf(w->line, sizeof(w->line), fmt, args, sizeof(args));
	return 0;
}

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(helpers_kprobe)
{
	__u32 zero = 0;
	struct who *w = bpf_map_lookup_elem(&who_scratch, &zero);

	if (!w)
		return 0;
	w->func_ip = bpf_get_func_ip(ctx);
	w->pid_tgid = bpf_get_current_pid_tgid();
	return 0;
}

BV_GPL;
