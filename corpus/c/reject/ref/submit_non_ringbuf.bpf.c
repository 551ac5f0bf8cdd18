// SPDX-License-Identifier: MIT OR Apache-2.0
// Passing a stack buffer to bpf_ringbuf_submit, which only takes memory
// returned by bpf_ringbuf_reserve.
// bpfvet-expect(ringbuf_submit_stack): reject "R1 type=fp expected=ringbuf_mem"
#include "bpfvet.h"

SEC("tracepoint/sched/sched_process_exec")
int ringbuf_submit_stack(void *ctx)
{
	__u64 local[2] = { 1, 2 };

	bpf_ringbuf_submit(local, 0);
	return 0;
}

BV_GPL;
