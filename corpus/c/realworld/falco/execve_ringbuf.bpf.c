// SPDX-License-Identifier: MIT OR Apache-2.0
// Falco-style execve enter/exit capture: the enter tracepoint stashes the
// filename pointer per thread; the exit tracepoint reserves a ring buffer
// record, fills process identity via CO-RE reads of task_struct (pid, ppid
// through real_parent, uid via cred, loginuid, sessionid, thread count via
// signal), copies the filename and argv[0..N) from user memory, and submits
// or discards it. Written for bpfvet.
// bpfvet-expect(execve_e): accept
// bpfvet-expect(execve_x): accept
#include "bpfvet.h"
#include <stdbool.h>
#include <bpf/bpf_core_read.h>
#include "falco_core.h"

#define MAX_PATH 256
#define MAX_ARGS 8
#define ARG_LEN 64

struct sys_enter_execve_args {
	__u64 common;
	int __syscall_nr;
	int pad;
	const char *filename;
	const char *const *argv;
	const char *const *envp;
};

struct sys_exit_args {
	__u64 common;
	int __syscall_nr;
	int pad;
	long ret;
};

struct exec_stash {
	const char *filename;
	const char *const *argv;
};

struct exec_event {
	__u64 ts;
	__u32 pid, tid, ppid, uid, loginuid, sessionid;
	__s32 nr_threads;
	__s32 retval;
	__u32 args_count;
	__u32 args_size;
	char comm[16];
	char filename[MAX_PATH];
	char args[MAX_ARGS][ARG_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct exec_stash);
} exec_stash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4 * 1024 * 1024);
} events SEC(".maps");

volatile const bool capture_failed = false;

SEC("tracepoint/syscalls/sys_enter_execve")
int execve_e(struct sys_enter_execve_args *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct exec_stash st = { .filename = ctx->filename, .argv = ctx->argv };

	bpf_map_update_elem(&exec_stash, &tid, &st, BPF_ANY);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_execve")
int execve_x(struct sys_exit_args *ctx)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = (__u32)pid_tgid;
	struct task_struct___falco *task;
	struct exec_stash *st;
	struct exec_event *e;
	int i;

	st = bpf_map_lookup_elem(&exec_stash, &tid);
	if (!st)
		return 0;
	if (ctx->ret < 0 && !capture_failed)
		goto out;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		goto out;
	task = (struct task_struct___falco *)bpf_get_current_task();
	e->ts = bpf_ktime_get_boot_ns();
	e->pid = pid_tgid >> 32;
	e->tid = tid;
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->uid = BPF_CORE_READ(task, cred, uid.val);
	e->loginuid = BPF_CORE_READ(task, loginuid.val);
	e->sessionid = BPF_CORE_READ(task, sessionid);
	e->nr_threads = BPF_CORE_READ(task, signal, nr_threads);
	e->retval = ctx->ret;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->filename, sizeof(e->filename), st->filename) < 0)
		e->filename[0] = '\0';

	e->args_count = 0;
	e->args_size = 0;
	for (i = 0; i < MAX_ARGS; i++) {
		const char *argp = NULL;
		long n;

		if (bpf_probe_read_user(&argp, sizeof(argp), &st->argv[i]) || !argp)
			break;
		n = bpf_probe_read_user_str(e->args[i], ARG_LEN, argp);
		if (n <= 0)
			break;
		e->args_count++;
		e->args_size += n;
	}
	if (e->args_count == 0 && ctx->ret == 0) {
		bpf_ringbuf_discard(e, 0);
		goto out;
	}
	bpf_ringbuf_submit(e, 0);
out:
	bpf_map_delete_elem(&exec_stash, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
