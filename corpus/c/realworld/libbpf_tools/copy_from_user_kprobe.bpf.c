// SPDX-License-Identifier: MIT OR Apache-2.0
// A kprobe on the write path that copies the first bytes of the user buffer
// with bpf_copy_from_user (the "safer" variant that may fault pages in).
// That helper can sleep; kprobe programs run in atomic context and may not
// call it. Written for bpfvet.
// bpfvet-expect(ksys_write_peek): reject "helper call might sleep in a non-sleepable prog"
#include "bpfvet.h"
#include "bpfvet_tracing.h"

struct peek {
	__u32 pid;
	__u32 fd;
	__u64 count;
	__u8 head[64];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} rb SEC(".maps");

SEC("kprobe/ksys_write")
int BPF_KPROBE(ksys_write_peek, unsigned int fd, const char *buf, __u64 count)
{
	struct peek *p;

	if (fd > 2)
		return 0;
	p = bpf_ringbuf_reserve(&rb, sizeof(*p), 0);
	if (!p)
		return 0;
	p->pid = bpf_get_current_pid_tgid() >> 32;
	p->fd = fd;
	p->count = count;
	if (bpf_copy_from_user(p->head, sizeof(p->head), buf))
		__builtin_memset(p->head, 0, sizeof(p->head));
	bpf_ringbuf_submit(p, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
