// SPDX-License-Identifier: MIT OR Apache-2.0
// libbpf-tools style execsnoop: the event (with a 7.5 KiB argument area) is
// too big for the stack, so it is created in a hash map from a zeroed
// static template, keyed by pid; argv strings are appended in a bounded
// loop with bpf_probe_read_user_str, offsets clamped to the buffer; the exit
// tracepoint emits it through a perf buffer with a size bound for the
// verifier. Written for bpfvet.
// bpfvet-expect(tracepoint__syscalls__sys_enter_execve): accept
// bpfvet-expect(tracepoint__syscalls__sys_exit_execve): accept
#include "bpfvet.h"
#include <bpf/bpf_core_read.h>
#include "bpfvet_core.h"
#include <stdbool.h>
#include <stddef.h>

#define TASK_COMM_LEN 16
#define ARGSIZE 128
#define TOTAL_MAX_ARGS 60
#define DEFAULT_MAXARGS 20
#define FULL_MAX_ARGS_ARR (TOTAL_MAX_ARGS * ARGSIZE)
#define LAST_ARG (FULL_MAX_ARGS_ARR - ARGSIZE)
#define BASE_EVENT_SIZE (size_t)(&((struct event *)0)->args)
#define EVENT_SIZE(e) (BASE_EVENT_SIZE + e->args_size)

struct event {
	int pid;
	int ppid;
	__u32 uid;
	int retval;
	int args_count;
	unsigned int args_size;
	char comm[TASK_COMM_LEN];
	char args[FULL_MAX_ARGS_ARR];
};

struct trace_event_raw_sys_enter {
	__u64 ent;
	long id;
	unsigned long args[6];
};

struct trace_event_raw_sys_exit {
	__u64 ent;
	long id;
	long ret;
};

volatile const bool filter_cg = false;
volatile const bool ignore_failed = true;
volatile const __u32 targ_uid = (__u32)-1;
volatile const int max_args = DEFAULT_MAXARGS;

static const struct event empty_event = {};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct event);
} execs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CGROUP_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} cgroup_map SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_execve")
int tracepoint__syscalls__sys_enter_execve(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id;
	__u32 pid, uid;
	int ret, i;
	struct event *event;
	struct task_struct *task;
	const char **args = (const char **)(ctx->args[1]);
	const char *argp;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	uid = (__u32)bpf_get_current_uid_gid();
	if (targ_uid != (__u32)-1 && targ_uid != uid)
		return 0;

	id = bpf_get_current_pid_tgid();
	pid = (__u32)id;
	if (bpf_map_update_elem(&execs, &pid, &empty_event, BPF_NOEXIST))
		return 0;
	event = bpf_map_lookup_elem(&execs, &pid);
	if (!event)
		return 0;

	event->pid = id >> 32;
	event->uid = uid;
	task = (struct task_struct *)bpf_get_current_task();
	event->ppid = BPF_CORE_READ(task, real_parent, tgid);
	event->args_count = 0;
	event->args_size = 0;

	ret = bpf_probe_read_user_str(event->args, ARGSIZE, (const char *)ctx->args[0]);
	if (ret < 0)
		return 0;
	if (ret <= ARGSIZE)
		event->args_size += ret;
	else
		event->args[0] = '\0', event->args_size++;
	event->args_count++;

#pragma unroll
	for (i = 1; i < TOTAL_MAX_ARGS; i++) {
		if (i >= max_args)
			break;
		if (bpf_probe_read_user(&argp, sizeof(argp), &args[i]))
			return 0;
		if (!argp)
			return 0;
		if (event->args_size > LAST_ARG)
			return 0;
		ret = bpf_probe_read_user_str(&event->args[event->args_size], ARGSIZE, argp);
		if (ret < 0)
			return 0;
		event->args_count++;
		event->args_size += ret;
	}
	/* try to read one more argument to check if there is one */
	if (bpf_probe_read_user(&argp, sizeof(argp), &args[max_args]))
		return 0;
	if (argp)
		event->args_count++;
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int tracepoint__syscalls__sys_exit_execve(struct trace_event_raw_sys_exit *ctx)
{
	__u64 id;
	__u32 pid;
	int ret;
	struct event *event;

	if (filter_cg && !bpf_current_task_under_cgroup(&cgroup_map, 0))
		return 0;
	id = bpf_get_current_pid_tgid();
	pid = (__u32)id;
	event = bpf_map_lookup_elem(&execs, &pid);
	if (!event)
		return 0;
	ret = ctx->ret;
	if (ignore_failed && ret < 0)
		goto cleanup;
	event->retval = ret;
	bpf_get_current_comm(&event->comm, sizeof(event->comm));
	{
		size_t len = EVENT_SIZE(event);

		if (len <= sizeof(*event))
			bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, event, len);
	}
cleanup:
	bpf_map_delete_elem(&execs, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
