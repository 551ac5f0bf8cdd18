// SPDX-License-Identifier: MIT OR Apache-2.0
// PERCPU_HASH and LRU_PERCPU_HASH counters updated without atomics, plus an
// LRU_HASH flow cache with the no-common-LRU flag.
// bpfvet-expect(percpu_hash_count): accept
// bpfvet-expect(lru_percpu_count): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_HASH);
	__uint(max_entries, 128);
	__type(key, __u32);
	__type(value, __u64);
} pc_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, __u64);
} lru_pc SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__uint(map_flags, BPF_F_NO_COMMON_LRU);
	__type(key, __u32);
	__type(value, __u64);
} lru_plain SEC(".maps");

SEC("raw_tracepoint/sched_switch")
int percpu_hash_count(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__u64 init = 1, *v = bpf_map_lookup_elem(&pc_hash, &cpu);

	if (v)
		(*v)++;
	else
		bpf_map_update_elem(&pc_hash, &cpu, &init, BPF_ANY);
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int lru_percpu_count(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u64 init = 1, *v = bpf_map_lookup_elem(&lru_pc, &id);

	if (v)
		*v += 1;
	else
		bpf_map_update_elem(&lru_pc, &id, &init, BPF_ANY);
	bpf_map_update_elem(&lru_plain, &tgid, &id, BPF_ANY);
	return 0;
}

BV_GPL;
