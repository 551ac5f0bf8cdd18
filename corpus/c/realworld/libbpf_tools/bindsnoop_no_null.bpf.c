// SPDX-License-Identifier: MIT OR Apache-2.0
// bindsnoop-style kprobe/kretprobe pair where the return probe dereferences
// the stashed socket pointer without checking the lookup result (the author
// assumed the entry probe always ran first). Written for bpfvet.
// bpfvet-expect(inet_bind_entry): accept
// bpfvet-expect(inet_bind_exit): reject "R0 invalid mem access 'map_value_or_null'"
#include "bpfvet.h"
#include "bpfvet_tracing.h"
#include <bpf/bpf_core_read.h>
#include "bpfvet_core.h"

struct bind_event {
	__u64 ts_us;
	__u32 pid;
	__s32 ret;
	__u16 port;
	__u16 proto;
	__u32 addr;
	char task[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 10240);
	__type(key, __u32);
	__type(value, struct sock *);
} sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

SEC("kprobe/inet_bind")
int BPF_KPROBE(inet_bind_entry, void *socket)
{
	__u32 tid = bpf_get_current_pid_tgid();
	struct sock *sk = NULL;
	void **skp = (void **)((char *)socket + 24); /* socket->sk */

	bpf_probe_read_kernel(&sk, sizeof(sk), skp);
	bpf_map_update_elem(&sockets, &tid, &sk, BPF_ANY);
	return 0;
}

SEC("kretprobe/inet_bind")
int BPF_KRETPROBE(inet_bind_exit, int ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 tid = pid_tgid;
	struct bind_event ev = {};
	struct sock **skpp, *sk;

	skpp = bpf_map_lookup_elem(&sockets, &tid);
	sk = *skpp;
	ev.ts_us = bpf_ktime_get_ns() / 1000;
	ev.pid = pid_tgid >> 32;
	ev.ret = ret;
	ev.port = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_num));
	ev.addr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	bpf_get_current_comm(ev.task, sizeof(ev.task));
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	bpf_map_delete_elem(&sockets, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
