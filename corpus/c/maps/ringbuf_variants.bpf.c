// SPDX-License-Identifier: MIT OR Apache-2.0
// The ring buffer API: bpf_ringbuf_output (copy), reserve/submit,
// reserve/discard on a failed read, and ringbuf_query for back-pressure.
// bpfvet-expect(rb_output_copy): accept
// bpfvet-expect(rb_reserve_submit): accept
// bpfvet-expect(rb_reserve_discard): accept
#include "bpfvet.h"

struct sample {
	__u32 pid;
	__u32 cpu;
	__u64 ts;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 128 * 1024);
} rb SEC(".maps");

SEC("tracepoint/sched/sched_process_fork")
int rb_output_copy(void *ctx)
{
	struct sample s = {};

	if (bpf_ringbuf_query(&rb, BPF_RB_AVAIL_DATA) > 64 * 1024)
		return 0;
	s.pid = bpf_get_current_pid_tgid() >> 32;
	s.cpu = bpf_get_smp_processor_id();
	s.ts = bpf_ktime_get_ns();
	bpf_get_current_comm(s.comm, sizeof(s.comm));
	bpf_ringbuf_output(&rb, &s, sizeof(s), BPF_RB_NO_WAKEUP);
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int rb_reserve_submit(void *ctx)
{
	struct sample *s = bpf_ringbuf_reserve(&rb, sizeof(*s), 0);

	if (!s)
		return 0;
	s->pid = bpf_get_current_pid_tgid() >> 32;
	s->cpu = bpf_get_smp_processor_id();
	s->ts = bpf_ktime_get_ns();
	bpf_get_current_comm(s->comm, sizeof(s->comm));
	bpf_ringbuf_submit(s, BPF_RB_FORCE_WAKEUP);
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int rb_reserve_discard(struct bpf_raw_tracepoint_args *ctx)
{
	struct sample *s = bpf_ringbuf_reserve(&rb, sizeof(*s), 0);

	if (!s)
		return 0;
	if (bpf_get_current_comm(s->comm, sizeof(s->comm)) || s->comm[0] != 'x') {
		bpf_ringbuf_discard(s, 0);
		return 0;
	}
	s->ts = ctx->args[1];
	bpf_ringbuf_submit(s, 0);
	return 0;
}

BV_GPL;
