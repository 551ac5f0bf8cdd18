// SPDX-License-Identifier: MIT OR Apache-2.0
// execsnoop-style tracer: on sched:sched_process_exec emit pid, ppid-less
// record, comm and the exec'd filename (a __data_loc string in the
// tracepoint record) through a ring buffer.
// bpfvet-expect(trace_exec): accept
#include "bpfvet.h"

#define FILENAME_LEN 128

/* Layout of /sys/kernel/tracing/events/sched/sched_process_exec/format */
struct sched_process_exec_args {
	__u64 common;          /* common_type/flags/preempt_count/pid */
	__u32 filename_loc;    /* __data_loc char[] filename: offset | (len << 16) */
	__s32 pid;
	__s32 old_pid;
};

struct exec_event {
	__u32 pid;
	__u32 uid;
	__u64 ts;
	char comm[16];
	char filename[FILENAME_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} exec_events SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int trace_exec(struct sched_process_exec_args *ctx)
{
	struct exec_event *e;
	__u32 off = ctx->filename_loc & 0xffff;

	e = bpf_ringbuf_reserve(&exec_events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = ctx->pid;
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->ts = bpf_ktime_get_boot_ns();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), (void *)ctx + off);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

BV_GPL;
