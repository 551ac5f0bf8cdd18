// SPDX-License-Identifier: MIT OR Apache-2.0
// libbpf-tools style opensnoop: sys_enter_openat records the arguments in a
// hash keyed by thread id (after pid/tgid/uid filters from .rodata), and
// sys_exit_openat joins them with the return value and emits an event via
// a perf event array. Written for bpfvet.
// bpfvet-expect(tracepoint__syscalls__sys_enter_openat): accept
// bpfvet-expect(tracepoint__syscalls__sys_exit_openat): accept
#include "bpfvet.h"
#include <stdbool.h>

#define NAME_MAX 255
#define TASK_COMM_LEN 16
#define INVALID_UID ((__u32)-1)

struct args_t {
	const char *fname;
	int flags;
	__u32 mode;
};

struct event {
	__u64 ts;
	__s32 pid;
	__u32 uid;
	__s32 ret;
	int flags;
	__u32 mode;
	__u64 callers[2];
	char comm[TASK_COMM_LEN];
	char fname[NAME_MAX];
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

volatile const __s32 targ_pid = 0;
volatile const __s32 targ_tgid = 0;
volatile const __u32 targ_uid = INVALID_UID;
volatile const bool targ_failed = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct args_t);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

static __always_inline bool valid_uid(__u32 uid)
{
	return uid != INVALID_UID;
}

static __always_inline bool trace_allowed(__u32 tgid, __u32 pid)
{
	__u32 uid;

	if (targ_tgid && targ_tgid != tgid)
		return false;
	if (targ_pid && targ_pid != pid)
		return false;
	if (valid_uid(targ_uid)) {
		uid = (__u32)bpf_get_current_uid_gid();
		if (targ_uid != uid)
			return false;
	}
	return true;
}

SEC("tracepoint/syscalls/sys_enter_openat")
int tracepoint__syscalls__sys_enter_openat(struct trace_event_raw_sys_enter *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u32 pid = id;

	if (trace_allowed(tgid, pid)) {
		struct args_t args = {};

		args.fname = (const char *)ctx->args[1];
		args.flags = (int)ctx->args[2];
		args.mode = (__u32)ctx->args[3];
		bpf_map_update_elem(&start, &pid, &args, 0);
	}
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int tracepoint__syscalls__sys_exit_openat(struct trace_event_raw_sys_exit *ctx)
{
	struct event event = {};
	struct args_t *ap;
	__u32 pid = bpf_get_current_pid_tgid();
	int ret;

	ap = bpf_map_lookup_elem(&start, &pid);
	if (!ap)
		return 0;
	ret = ctx->ret;
	if (targ_failed && ret >= 0)
		goto cleanup;

	event.ts = bpf_ktime_get_ns();
	event.pid = bpf_get_current_pid_tgid() >> 32;
	event.uid = bpf_get_current_uid_gid();
	bpf_get_current_comm(&event.comm, sizeof(event.comm));
	bpf_probe_read_user_str(&event.fname, sizeof(event.fname), ap->fname);
	event.flags = ap->flags;
	event.mode = ap->mode;
	event.ret = ret;
	bpf_get_stack(ctx, event.callers, sizeof(event.callers), BPF_F_USER_STACK);
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &event, sizeof(event));
cleanup:
	bpf_map_delete_elem(&start, &pid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
