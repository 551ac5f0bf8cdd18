// SPDX-License-Identifier: MIT OR Apache-2.0
// A write(2) data snapshot that copies `min(count, snaplen)` bytes into a
// per-CPU buffer. The clamp is a signed comparison on a `long`, so only the
// upper end is bounded: a negative count would reach the helper as a huge
// size, and the verifier refuses a size whose minimum may be negative.
// Written for bpfvet.
// bpfvet-expect(write_snapshot): reject "R2 min value is negative, either use unsigned or 'var &= const'"
#include "bpfvet.h"

#define SNAP_MAX 4096

struct sys_enter_write_args {
	__u64 common;
	int __syscall_nr;
	int pad;
	long fd;
	const char *buf;
	long count;
};

struct snap {
	__u32 len;
	__u8 data[SNAP_MAX];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct snap);
} snap_buf SEC(".maps");

volatile const long snaplen = 80;

SEC("tracepoint/syscalls/sys_enter_write")
int write_snapshot(struct sys_enter_write_args *ctx)
{
	__u32 zero = 0;
	struct snap *s = bpf_map_lookup_elem(&snap_buf, &zero);
	long len = ctx->count;

	if (!s)
		return 0;
	if (len > snaplen)
		len = snaplen;
	s->len = len;
	bpf_probe_read_user(s->data, len, ctx->buf);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
