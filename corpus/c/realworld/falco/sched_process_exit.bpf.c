// SPDX-License-Identifier: MIT OR Apache-2.0
// Falco-style process exit event from raw_tracepoint/sched_process_exit:
// the task pointer is the tracepoint's first argument; read exit code,
// thread-group leader status, start time and the memory-cgroup name
// (task->cgroups->subsys[i]->cgroup->kn->name) with CO-RE, and emit a
// fixed-size record through a perf event array. Written for bpfvet.
// bpfvet-expect(sched_proc_exit): accept
#include "bpfvet.h"
#include <bpf/bpf_core_read.h>
#include "falco_core.h"

#define CGROUP_NAME_LEN 64
#define MEMORY_CGRP_ID 4

struct proc_exit_evt {
	__u64 ts;
	__u64 start_time;
	__u32 pid, tid;
	__s32 exit_code;
	__u8 is_leader;
	__u8 pad[3];
	char comm[16];
	char cgroup[CGROUP_NAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf_events SEC(".maps");

volatile const __u32 mem_cgrp_index = MEMORY_CGRP_ID;

SEC("raw_tracepoint/sched_process_exit")
int sched_proc_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct___falco *task = (void *)ctx->args[0];
	struct proc_exit_evt evt = {};
	const char *name;
	__u32 idx = mem_cgrp_index;

	evt.ts = bpf_ktime_get_boot_ns();
	evt.pid = BPF_CORE_READ(task, tgid);
	evt.tid = BPF_CORE_READ(task, pid);
	evt.exit_code = BPF_CORE_READ(task, exit_code);
	evt.start_time = BPF_CORE_READ(task, start_time);
	evt.is_leader = BPF_CORE_READ(task, group_leader) == task;
	BPF_CORE_READ_STR_INTO(&evt.comm, task, comm);
	if (idx < 16) {
		name = BPF_CORE_READ(task, cgroups, subsys[idx], cgroup, kn, name);
		if (name)
			bpf_probe_read_kernel_str(evt.cgroup, sizeof(evt.cgroup), name);
	}
	bpf_perf_event_output(ctx, &perf_events, BPF_F_CURRENT_CPU, &evt, sizeof(evt));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
