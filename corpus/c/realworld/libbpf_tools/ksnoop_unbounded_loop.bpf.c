// SPDX-License-Identifier: MIT OR Apache-2.0
// A kprobe that copies a user-configured number of stack-trace frames from
// a map into an event, looping up to a count read from the config map.
// The count is an unbounded u32, so the verifier cannot see the loop end
// and walks iterations until it hits the instruction limit.
// Written for bpfvet.
// bpfvet-expect(trace_frames): reject "BPF program is too large. Processed 1000001 insn"
#include "bpfvet.h"
#include "bpfvet_tracing.h"

#define MAX_FRAMES 32

struct config {
	__u32 nframes;
	__u32 flags;
};

struct frames {
	__u64 ip[MAX_FRAMES];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct config);
} cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct frames);
} scratch SEC(".maps");

__u64 total;

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(trace_frames)
{
	__u32 zero = 0, i;
	struct config *c = bpf_map_lookup_elem(&cfg, &zero);
	struct frames *f = bpf_map_lookup_elem(&scratch, &zero);
	__u64 sum = 0;

	if (!c || !f)
		return 0;
	bpf_get_stack(ctx, f->ip, sizeof(f->ip), 0);
	for (i = 0; i < c->nframes; i++)
		sum += f->ip[i & (MAX_FRAMES - 1)] >> 4;
	total += sum;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
