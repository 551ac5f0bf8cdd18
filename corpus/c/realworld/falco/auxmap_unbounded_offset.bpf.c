// SPDX-License-Identifier: MIT OR Apache-2.0
// Falco-style variable-length parameter push into a per-CPU scratch buffer,
// written without the usual "& (SIZE - 1)" mask: the payload position is a
// u64 loaded back from the map value, so its range is unknown and the store
// of the string through it cannot be proven in bounds. Written for bpfvet.
// bpfvet-expect(openat_e_filler): reject "math between map_value pointer and register with unbounded min value is not allowed"
#include "bpfvet.h"

#define SCRATCH_SIZE (16 * 1024)
#define MAX_PATH 4096

struct scratch {
	__u8 data[SCRATCH_SIZE];
	__u64 payload_pos;
	__u8 lengths_pos;
};

struct sys_enter_openat_args {
	__u64 common;
	int __syscall_nr;
	int pad;
	long dfd;
	const char *filename;
	long flags;
	long mode;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} scratch_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} rb SEC(".maps");

SEC("tracepoint/syscalls/sys_enter_openat")
int openat_e_filler(struct sys_enter_openat_args *ctx)
{
	__u32 zero = 0;
	struct scratch *s = bpf_map_lookup_elem(&scratch_map, &zero);
	long n;

	if (!s)
		return 0;
	s->payload_pos = 32;
	*(__s64 *)&s->data[s->payload_pos] = ctx->dfd;
	s->payload_pos += 8;
	/* the filename goes at the current position: no mask on payload_pos */
	n = bpf_probe_read_user_str(&s->data[s->payload_pos], MAX_PATH, ctx->filename);
	if (n > 0)
		s->payload_pos += n;
	*(__u32 *)&s->data[s->payload_pos] = (__u32)ctx->flags;
	s->payload_pos += 4;
	if (s->payload_pos <= SCRATCH_SIZE)
		bpf_ringbuf_output(&rb, s->data, s->payload_pos, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
