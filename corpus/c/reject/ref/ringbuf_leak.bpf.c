// SPDX-License-Identifier: MIT OR Apache-2.0
// A ring buffer reservation that is neither submitted nor discarded on the
// early-return path: the verifier tracks the reservation as a reference.
// bpfvet-expect(ringbuf_reserve_leak): reject "BPF_EXIT instruction in main prog would lead to reference leak"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

struct ev {
	__u32 pid;
	char comm[16];
};

SEC("tracepoint/sched/sched_process_exec")
int ringbuf_reserve_leak(void *ctx)
{
	struct ev *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_get_current_comm(e->comm, sizeof(e->comm)))
		return 0;          /* leaks the reservation */
	bpf_ringbuf_submit(e, 0);
	return 0;
}

BV_GPL;
