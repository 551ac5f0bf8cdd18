// SPDX-License-Identifier: MIT OR Apache-2.0
// A connect() tracer that reserves a ring buffer record first and then
// bails out when copying the sockaddr from user memory fails, forgetting to
// discard the reservation on that path. Written for bpfvet.
// bpfvet-expect(connect_e): reject "Unreleased reference"
#include "bpfvet.h"

struct sys_enter_connect_args {
	__u64 common;
	int __syscall_nr;
	int pad;
	long fd;
	const void *uservaddr;
	long addrlen;
};

struct connect_evt {
	__u64 ts;
	__u32 pid;
	__s32 fd;
	__u16 family;
	__u16 port;
	__u8 addr[16];
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_connect")
int connect_e(struct sys_enter_connect_args *ctx)
{
	struct connect_evt *e;
	__u8 sa[28];

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;
	e->ts = bpf_ktime_get_ns();
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->fd = ctx->fd;
	if (ctx->addrlen < 2 || ctx->addrlen > (long)sizeof(sa))
		return 0; /* bug: leaks the reservation */
	if (bpf_probe_read_user(sa, sizeof(sa), ctx->uservaddr)) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	e->family = *(__u16 *)sa;
	e->port = (sa[2] << 8) | sa[3];
	__builtin_memcpy(e->addr, sa + 4, 16);
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
