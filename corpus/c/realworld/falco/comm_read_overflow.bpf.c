// SPDX-License-Identifier: MIT OR Apache-2.0
// A chmod tracer whose path buffer on the stack was shrunk from 256 to 128
// bytes, but the read still passes the old PATH_LEN: the helper's size
// argument exceeds the stack buffer it writes to. Written for bpfvet.
// bpfvet-expect(fchmodat_e): reject "invalid write to stack R1 off=-128 size=256"
#include "bpfvet.h"

#define PATH_LEN 256

struct sys_enter_fchmodat_args {
	__u64 common;
	int __syscall_nr;
	int pad;
	long dfd;
	const char *filename;
	long mode;
};

struct chmod_evt {
	__u32 pid;
	__u32 mode;
	char path[128];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} chmod_events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_fchmodat")
int fchmodat_e(struct sys_enter_fchmodat_args *ctx)
{
	struct chmod_evt evt = {};

	evt.pid = bpf_get_current_pid_tgid() >> 32;
	evt.mode = ctx->mode;
	bpf_probe_read_user_str(evt.path, PATH_LEN, ctx->filename);
	bpf_perf_event_output(ctx, &chmod_events, BPF_F_CURRENT_CPU, &evt, sizeof(evt));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
