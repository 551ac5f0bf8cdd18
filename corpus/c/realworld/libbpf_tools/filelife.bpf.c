// SPDX-License-Identifier: MIT OR Apache-2.0
// libbpf-tools style filelife: kprobes on vfs_create/vfs_open record the
// creation time of a dentry; the vfs_unlink kprobe computes the file's age,
// reads the name from dentry->d_name with CO-RE and emits an event. Built
// with -O1 (some distributions build tools at lower optimisation).
// Written for bpfvet.
// bpfvet-cflags: -O1
// bpfvet-expect(vfs_create): accept
// bpfvet-expect(vfs_unlink): accept
#include "bpfvet.h"
#include "bpfvet_tracing.h"
#include <bpf/bpf_core_read.h>
#include "bpfvet_core.h"

#define DNAME_INLINE_LEN 32
#define TASK_COMM_LEN 16

struct event {
	char file[DNAME_INLINE_LEN];
	char task[TASK_COMM_LEN];
	__u64 delta_ns;
	__u32 tgid;
};

volatile const int targ_tgid = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 8192);
	__type(key, struct dentry *);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("kprobe/vfs_create")
int BPF_KPROBE(vfs_create, void *arg0, void *dir, struct dentry *dentry)
{
	__u64 id = bpf_get_current_pid_tgid();
	__u32 tgid = id >> 32;
	__u64 ts;

	if (targ_tgid && targ_tgid != tgid)
		return 0;
	ts = bpf_ktime_get_ns();
	bpf_map_update_elem(&start, &dentry, &ts, 0);
	return 0;
}

SEC("kprobe/vfs_unlink")
int BPF_KPROBE(vfs_unlink, void *arg0, void *dir, struct dentry *dentry)
{
	__u64 id = bpf_get_current_pid_tgid();
	struct event event = {};
	const __u8 *qs_name_ptr;
	__u32 tgid = id >> 32;
	__u64 *tsp, delta_ns;

	tsp = bpf_map_lookup_elem(&start, &dentry);
	if (!tsp)
		return 0;
	delta_ns = bpf_ktime_get_ns() - *tsp;
	bpf_map_delete_elem(&start, &dentry);

	qs_name_ptr = BPF_CORE_READ(dentry, d_name.name);
	bpf_probe_read_kernel_str(&event.file, sizeof(event.file), qs_name_ptr);
	bpf_get_current_comm(&event.task, sizeof(event.task));
	event.delta_ns = delta_ns;
	event.tgid = tgid;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &event, sizeof(event));
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
