// SPDX-License-Identifier: MIT OR Apache-2.0
// Falco-style clone/fork child event from the BTF-typed tracepoint
// sched_process_fork: parent and child task pointers are trusted BTF
// pointers, so fields are read with plain loads (CO-RE relocated) instead of
// bpf_probe_read. Threads vs processes are told apart by pid != tgid.
// A per-CPU counter tracks drops when the ring buffer is full.
// Written for bpfvet.
// bpfvet-expect(sched_proc_fork): accept
#include "bpfvet.h"
#include <stdbool.h>
#include <bpf/bpf_tracing.h>
#include "falco_core.h"

struct fork_evt {
	__u64 ts;
	__u32 parent_pid, parent_tgid;
	__u32 child_pid, child_tgid;
	__u32 child_uid;
	__u32 flags;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 22);
} rb SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

volatile const bool threads_only_leaders = true;

SEC("tp_btf/sched_process_fork")
int BPF_PROG(sched_proc_fork, struct task_struct___falco *parent, struct task_struct___falco *child)
{
	struct fork_evt *e;
	__u32 zero = 0;
	__u64 *d;

	if (threads_only_leaders && child->pid != child->tgid)
		return 0;
	e = bpf_ringbuf_reserve(&rb, sizeof(*e), 0);
	if (!e) {
		d = bpf_map_lookup_elem(&drops, &zero);
		if (d)
			*d += 1;
		return 0;
	}
	e->ts = bpf_ktime_get_boot_ns();
	e->parent_pid = parent->pid;
	e->parent_tgid = parent->tgid;
	e->child_pid = child->pid;
	e->child_tgid = child->tgid;
	e->child_uid = child->cred->uid.val;
	e->flags = child->flags;
	__builtin_memcpy(e->comm, child->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
