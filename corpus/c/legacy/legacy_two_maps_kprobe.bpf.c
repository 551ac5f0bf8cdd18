// SPDX-License-Identifier: MIT OR Apache-2.0
// Legacy SEC("maps") with two maps (PERCPU_ARRAY and PERF_EVENT_ARRAY) used
// from a kprobe: count calls and emit the caller's tgid.
// bpfvet-expect(legacy_kprobe_emit): accept
#include "bpfvet.h"
#include "bpfvet_legacy.h"

struct bpf_map_def SEC("maps") call_count = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

struct bpf_map_def SEC("maps") tgid_events = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(int),
	.value_size = sizeof(__u32),
	.max_entries = 64,
};

SEC("kprobe/do_nanosleep")
int legacy_kprobe_emit(void *ctx)
{
	__u32 zero = 0, tgid = bpf_get_current_pid_tgid() >> 32;
	__u64 *c = bpf_map_lookup_elem(&call_count, &zero);

	if (c)
		*c += 1;
	bpf_perf_event_output(ctx, &tgid_events, BPF_F_CURRENT_CPU, &tgid, sizeof(tgid));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
