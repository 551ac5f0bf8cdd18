// SPDX-License-Identifier: MIT OR Apache-2.0
// tcpconnlat-style: remember when a task starts tcp_v4_connect (keyed by the
// socket), note failures in the kretprobe, and report the latency once the
// socket sees its first state-processing call. Events go out through a
// perf event array.
// bpfvet-expect(connect_entry): accept
// bpfvet-expect(connect_return): accept
// bpfvet-expect(rcv_state_process): accept
#include "bpfvet.h"
#include "bpfvet_tracing.h"

struct sock;

struct pending {
	__u64 ts;
	__u32 tgid;
	char comm[16];
};

struct lat_event {
	__u64 delta_us;
	__u32 tgid;
	char comm[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u64);
	__type(value, struct pending);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u64);
} inflight SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} lat_events SEC(".maps");

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(connect_entry, struct sock *sk)
{
	__u64 key = (__u64)sk;
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct pending p = {};

	p.ts = bpf_ktime_get_ns();
	p.tgid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(&p.comm, sizeof(p.comm));
	bpf_map_update_elem(&start, &key, &p, BPF_ANY);
	bpf_map_update_elem(&inflight, &tid, &key, BPF_ANY);
	return 0;
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(connect_return, int ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	__u64 *skp = bpf_map_lookup_elem(&inflight, &tid);

	if (!skp)
		return 0;
	if (ret)
		bpf_map_delete_elem(&start, skp);
	bpf_map_delete_elem(&inflight, &tid);
	return 0;
}

SEC("kprobe/tcp_rcv_state_process")
int BPF_KPROBE(rcv_state_process, struct sock *sk)
{
	__u64 key = (__u64)sk;
	struct pending *p = bpf_map_lookup_elem(&start, &key);
	struct lat_event ev = {};

	if (!p)
		return 0;
	ev.delta_us = (bpf_ktime_get_ns() - p->ts) / 1000;
	ev.tgid = p->tgid;
	__builtin_memcpy(ev.comm, p->comm, sizeof(ev.comm));
	bpf_perf_event_output(ctx, &lat_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	bpf_map_delete_elem(&start, &key);
	return 0;
}

BV_GPL;
