// SPDX-License-Identifier: MIT OR Apache-2.0
// samples/bpf sampleip/trace_event-style perf_event program: on each timer
// sample count the instruction pointer, and record user+kernel stack ids
// (STACK_TRACE map) together with the sample period and comm.
// Written for bpfvet.
// bpfvet-expect(do_sample): accept
#include "bpfvet.h"
#include <linux/ptrace.h>
#include <linux/bpf_perf_event.h>

#define MAX_IPS 8192
#define PERF_MAX_STACK_DEPTH 127

struct key_t {
	char comm[16];
	__u32 kernstack;
	__u32 userstack;
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_IPS);
	__type(key, __u64);
	__type(value, __u32);
} ip_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10000);
	__type(key, struct key_t);
	__type(value, __u64);
} counts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(max_entries, 10000);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PERF_MAX_STACK_DEPTH * sizeof(__u64));
} stackmap SEC(".maps");

SEC("perf_event")
int do_sample(struct bpf_perf_event_data *ctx)
{
	struct bpf_perf_event_value value_buf;
	struct key_t key;
	__u64 ip, *val, one = 1;
	__u32 *cnt, init = 1;

	ip = ctx->regs.rip;
	cnt = bpf_map_lookup_elem(&ip_map, &ip);
	if (cnt)
		*cnt += 1;
	else
		bpf_map_update_elem(&ip_map, &ip, &init, BPF_NOEXIST);

	if (ctx->sample_period < 10000)
		return 0;
	bpf_get_current_comm(&key.comm, sizeof(key.comm));
	key.kernstack = bpf_get_stackid(ctx, &stackmap, 0);
	key.userstack = bpf_get_stackid(ctx, &stackmap, BPF_F_USER_STACK);
	if ((int)key.kernstack < 0 && (int)key.userstack < 0)
		return 0;
	if (bpf_perf_prog_read_value(ctx, &value_buf, sizeof(value_buf)))
		value_buf.counter = 0;
	val = bpf_map_lookup_elem(&counts, &key);
	if (val)
		(*val)++;
	else
		bpf_map_update_elem(&counts, &key, &one, BPF_NOEXIST);
	return 0;
}

char _license[] SEC("license") = "GPL";
