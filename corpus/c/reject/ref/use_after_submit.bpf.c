// SPDX-License-Identifier: MIT OR Apache-2.0
// Writing into a ring buffer record after submitting it: the release
// invalidates every copy of the pointer.
// bpfvet-expect(ringbuf_write_after_submit): reject "R6 invalid mem access 'scalar'"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int ringbuf_write_after_submit(void *ctx)
{
	__u64 *e = bpf_ringbuf_reserve(&rb, 2 * sizeof(*e), 0);

	if (!e)
		return 0;
	e[0] = bpf_ktime_get_ns();
	bpf_ringbuf_submit(e, 0);
	e[1] = 1;
	return 0;
}

BV_GPL;
