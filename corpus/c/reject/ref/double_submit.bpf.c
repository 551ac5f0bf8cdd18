// SPDX-License-Identifier: MIT OR Apache-2.0
// Submitting the same ring buffer record twice: after the first submit the
// pointer no longer refers to an acquired reservation.
// bpfvet-expect(ringbuf_double_submit): reject "R1 type=scalar expected=ringbuf_mem"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int ringbuf_double_submit(void *ctx)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);

	if (!e)
		return 0;
	*e = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
	bpf_ringbuf_submit(e, 0);
	return 0;
}

BV_GPL;
