// SPDX-License-Identifier: MIT OR Apache-2.0
// runqslower-style off-CPU accounting from raw_tracepoint/sched_switch:
// the raw tracepoint args are (preempt, prev, next); task fields are read
// with BPF_CORE_READ and per-pid off-CPU start times kept in a hash.
// bpfvet-expect(core_sched_switch): accept
#include "bpfvet.h"
#include "bpfvet_core.h"
#include <bpf/bpf_core_read.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} offcpu_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, __u64);
} offcpu_total SEC(".maps");

SEC("raw_tracepoint/sched_switch")
int core_sched_switch(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *prev = (struct task_struct *)ctx->args[1];
	struct task_struct *next = (struct task_struct *)ctx->args[2];
	__u32 prev_pid = BPF_CORE_READ(prev, pid);
	__u32 next_pid = BPF_CORE_READ(next, pid);
	__u64 now = bpf_ktime_get_ns(), *start, *tot, delta;

	if (prev_pid)
		bpf_map_update_elem(&offcpu_start, &prev_pid, &now, BPF_ANY);
	start = bpf_map_lookup_elem(&offcpu_start, &next_pid);
	if (!start)
		return 0;
	delta = now - *start;
	tot = bpf_map_lookup_elem(&offcpu_total, &next_pid);
	if (tot)
		__sync_fetch_and_add(tot, delta);
	else
		bpf_map_update_elem(&offcpu_total, &next_pid, &delta, BPF_ANY);
	bpf_map_delete_elem(&offcpu_start, &next_pid);
	return 0;
}

BV_GPL;
