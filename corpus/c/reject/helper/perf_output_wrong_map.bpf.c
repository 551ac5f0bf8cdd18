// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_perf_event_output pointed at a RINGBUF map (a porting slip from
// perfbuf to ringbuf): the helper only takes PERF_EVENT_ARRAY maps.
// bpfvet-expect(perf_output_into_ringbuf): reject "cannot pass map_type 27 into func bpf_perf_event_output#25"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("tracepoint/sched/sched_process_exec")
int perf_output_into_ringbuf(void *ctx)
{
	__u32 pid = bpf_get_current_pid_tgid() >> 32;

	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &pid, sizeof(pid));
	return 0;
}

BV_GPL;
