// SPDX-License-Identifier: MIT OR Apache-2.0
// opensnoop-style: capture the user-space path passed to openat(2) at
// syscall entry (tracepoint syscalls:sys_enter_openat) and the result at exit,
// joined through a per-thread hash, reported with bpf_perf_event_output.
// bpfvet-expect(openat_enter): accept
// bpfvet-expect(openat_exit): accept
#include "bpfvet.h"

#define NAME_MAX_LEN 256

struct sys_enter_openat_args {
	__u64 common;
	__s64 syscall_nr;
	__u64 dfd;
	__u64 filename;   /* const char __user * */
	__u64 flags;
	__u64 mode;
};

struct sys_exit_args {
	__u64 common;
	__s64 syscall_nr;
	__s64 ret;
};

struct open_event {
	__u32 tgid;
	__s32 ret;
	__u32 flags;
	char path[NAME_MAX_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct open_event);
} open_start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} open_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct open_event);
} scratch SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_enter(struct sys_enter_openat_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)id, zero = 0;
	struct open_event *e = bpf_map_lookup_elem(&scratch, &zero);

	if (!e)
		return 0;
	e->tgid = id >> 32;
	e->flags = (__u32)ctx->flags;
	e->ret = 0;
	bpf_probe_read_user_str(e->path, sizeof(e->path), (const void *)ctx->filename);
	bpf_map_update_elem(&open_start, &tid, e, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_openat")
int openat_exit(struct sys_exit_args *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct open_event *e = bpf_map_lookup_elem(&open_start, &tid);

	if (!e)
		return 0;
	e->ret = (__s32)ctx->ret;
	bpf_perf_event_output(ctx, &open_events, BPF_F_CURRENT_CPU, e, sizeof(*e));
	bpf_map_delete_elem(&open_start, &tid);
	return 0;
}

BV_GPL;
