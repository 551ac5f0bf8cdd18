// SPDX-License-Identifier: MIT OR Apache-2.0
// Count system calls per syscall number with raw_tracepoint/sys_enter
// (args[1] is the id), optionally filtered to one tgid set in .rodata.
// bpfvet-expect(count_syscalls): accept
#include "bpfvet.h"

#define MAX_SYSCALLS 512

const volatile __u32 filter_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MAX_SYSCALLS);
	__type(key, __u32);
	__type(value, __u64);
} syscall_counts SEC(".maps");

SEC("raw_tracepoint/sys_enter")
int count_syscalls(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 id = (__u32)ctx->args[1];
	__u64 *cnt;

	if (filter_tgid && (bpf_get_current_pid_tgid() >> 32) != filter_tgid)
		return 0;
	if (id >= MAX_SYSCALLS)
		return 0;
	cnt = bpf_map_lookup_elem(&syscall_counts, &id);
	if (cnt)
		*cnt += 1;
	return 0;
}

BV_GPL;
