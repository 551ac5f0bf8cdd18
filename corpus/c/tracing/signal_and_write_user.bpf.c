// SPDX-License-Identifier: MIT OR Apache-2.0
// "Active" tracing helpers: bpf_send_signal to kill a process calling a
// forbidden syscall, and bpf_probe_write_user to scribble over a user buffer
// (the helper that prints a kernel warning when the program loads).
// bpfvet-expect(kill_on_ptrace): accept
// bpfvet-expect(poke_user_buffer): accept
#include "bpfvet.h"

struct sys_enter_write_args {
	__u64 common;
	__s64 syscall_nr;
	__u64 fd;
	__u64 buf;
	__u64 count;
};

const volatile __u32 victim_tgid = 0;

SEC("tracepoint/syscalls/sys_enter_ptrace")
int kill_on_ptrace(void *ctx)
{
	bpf_send_signal(9);
	return 0;
}

SEC("tracepoint/syscalls/sys_enter_write")
int poke_user_buffer(struct sys_enter_write_args *ctx)
{
	char msg[4] = "bpf";

	if (!victim_tgid || (bpf_get_current_pid_tgid() >> 32) != victim_tgid)
		return 0;
	if (ctx->count >= sizeof(msg))
		bpf_probe_write_user((void *)ctx->buf, msg, sizeof(msg));
	return 0;
}

BV_GPL;
