// SPDX-License-Identifier: MIT OR Apache-2.0
// libbpf-tools style syscount built with -mcpu=v4 (sign-extending loads and
// moves, 32-bit jumps, gotol): raw sys_enter/sys_exit tracepoints count
// syscalls and accumulate latency per syscall id (or per pid), optionally
// only failed calls, filtered by an errno knob. Written for bpfvet.
// bpfvet-cflags: -mcpu=v4
// bpfvet-expect(sys_enter): accept
// bpfvet-expect(sys_exit): accept
#include "bpfvet.h"
#include <linux/ptrace.h>
#include <stdbool.h>

#define MAX_ENTRIES 8192

struct data_t {
	__u64 count;
	__u64 total_ns;
	char comm[16];
};

volatile const bool filter_cg = false;
volatile const bool count_by_process = false;
volatile const bool measure_latency = true;
volatile const bool filter_failed = false;
volatile const int filter_errno = 0;
volatile const int filter_pid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u32);
	__type(value, struct data_t);
} data SEC(".maps");

static const struct data_t zero;

SEC("raw_tracepoint/sys_enter")
int sys_enter(struct bpf_raw_tracepoint_args *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tid = id;
	__u64 ts;

	if (filter_pid && (int)(id >> 32) != filter_pid)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &tid, &ts, 0);
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int sys_exit(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	__u64 id = bpf_get_current_pid_tgid();
	static const struct data_t zero_val;
	struct data_t *val;
	__u64 *start_ts, lat = 0;
	__u32 tid = id, key;
	long orig_ax = 0;
	__s32 ret32 = (__s32)ctx->args[1];
	__s16 nr;

	if (filter_pid && (int)(id >> 32) != filter_pid)
		return 0;
	if (filter_failed && ret32 >= 0)
		return 0;
	if (filter_errno && ret32 != -filter_errno)
		return 0;
	if (measure_latency) {
		start_ts = bpf_map_lookup_elem(&start, &tid);
		if (!start_ts)
			return 0;
		lat = bpf_ktime_get_ns() - *start_ts;
	}
	bpf_probe_read_kernel(&orig_ax, sizeof(orig_ax), &regs->orig_rax);
	nr = (__s16)orig_ax; /* -mcpu=v4: movsx */
	if (nr < 0)
		return 0;
	key = count_by_process ? (__u32)(id >> 32) : (__u32)nr;
	val = bpf_map_lookup_elem(&data, &key);
	if (!val) {
		bpf_map_update_elem(&data, &key, &zero_val, BPF_NOEXIST);
		val = bpf_map_lookup_elem(&data, &key);
		if (!val)
			return 0;
		if (count_by_process)
			bpf_get_current_comm(val->comm, sizeof(val->comm));
	}
	__sync_fetch_and_add(&val->count, 1);
	if (measure_latency)
		__sync_fetch_and_add(&val->total_ns, lat);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
