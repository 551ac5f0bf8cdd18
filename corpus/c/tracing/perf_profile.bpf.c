// SPDX-License-Identifier: MIT OR Apache-2.0
// On-CPU profiler: a perf_event program sampling kernel and user stacks into
// a STACK_TRACE map and counting (tgid, kernel stack, user stack) tuples.
// bpfvet-expect(profile_sample): accept
#include "bpfvet.h"
#include <linux/bpf_perf_event.h>

#define MAX_DEPTH 127

struct sample_key {
	__u32 tgid;
	__s32 kstack;
	__s32 ustack;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 16384);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, MAX_DEPTH * sizeof(__u64));
} stacks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 40960);
	__type(key, struct sample_key);
	__type(value, __u64);
} samples SEC(".maps");

SEC("perf_event")
int profile_sample(struct bpf_perf_event_data *ctx)
{
	struct sample_key key = {};
	__u64 one = 1, *v;

	key.tgid = bpf_get_current_pid_tgid() >> 32;
	if (key.tgid == 0 && ctx->sample_period == 0)
		return 0;
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	key.kstack = bpf_get_stackid(ctx, &stacks, 0);
	key.ustack = bpf_get_stackid(ctx, &stacks, BPF_F_USER_STACK);

	v = bpf_map_lookup_elem(&samples, &key);
	if (v)
		__sync_fetch_and_add(v, 1);
	else
		bpf_map_update_elem(&samples, &key, &one, BPF_NOEXIST);
	return 0;
}

BV_GPL;
