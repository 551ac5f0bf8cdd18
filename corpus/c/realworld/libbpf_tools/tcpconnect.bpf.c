// SPDX-License-Identifier: MIT OR Apache-2.0
// libbpf-tools style tcpconnect: kprobe on tcp_v4_connect stores the sock
// pointer per thread, the kretprobe reads the connected tuple with CO-RE
// (skc_rcv_saddr, skc_daddr, skc_dport) when the call succeeded, filters by
// destination port from a .rodata array and counts or emits the event.
// Written for bpfvet.
// bpfvet-expect(tcp_v4_connect): accept
// bpfvet-expect(tcp_v4_connect_ret): accept
#include "bpfvet.h"
#include "bpfvet_tracing.h"
#include <bpf/bpf_core_read.h>
#include "bpfvet_core.h"
#include <stdbool.h>

#define MAX_PORTS 64
#define TASK_COMM_LEN 16

struct ipv4_flow_key {
	__u32 saddr;
	__u32 daddr;
	__u16 dport;
};

struct event {
	__u32 saddr_v4;
	__u32 daddr_v4;
	char task[TASK_COMM_LEN];
	__u64 ts_us;
	__u32 af;
	__u32 pid;
	__u32 uid;
	__u16 dport;
};

volatile const __s32 filter_ports[MAX_PORTS];
volatile const int filter_ports_len = 0;
volatile const __u32 filter_uid = (__u32)-1;
volatile const __s32 filter_pid = 0;
volatile const bool do_count = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, struct sock *);
} sockets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, struct ipv4_flow_key);
	__type(value, __u64);
} ipv4_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} events SEC(".maps");

static __always_inline bool filter_port(__u16 port)
{
	int i;

	if (filter_ports_len == 0)
		return false;
	for (i = 0; i < filter_ports_len && i < MAX_PORTS; i++) {
		if (port == filter_ports[i])
			return false;
	}
	return true;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(tcp_v4_connect, struct sock *sk)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32;
	__u32 tid = pid_tgid;
	__u32 uid;

	if (filter_pid && pid != filter_pid)
		return 0;
	uid = bpf_get_current_uid_gid();
	if (filter_uid != (__u32)-1 && uid != filter_uid)
		return 0;
	bpf_map_update_elem(&sockets, &tid, &sk, 0);
	return 0;
}

SEC("kretprobe/tcp_v4_connect")
int BPF_KRETPROBE(tcp_v4_connect_ret, int ret)
{
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	__u32 pid = pid_tgid >> 32;
	__u32 tid = pid_tgid;
	struct sock **skpp, *sk;
	__u16 dport;

	skpp = bpf_map_lookup_elem(&sockets, &tid);
	if (!skpp)
		return 0;
	if (ret)
		goto end;
	sk = *skpp;
	dport = BPF_CORE_READ(sk, __sk_common.skc_dport);
	if (filter_port(dport))
		goto end;

	if (do_count) {
		struct ipv4_flow_key key = {};
		static __u64 zero;
		__u64 *val;

		key.saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		key.daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		key.dport = dport;
		val = bpf_map_lookup_elem(&ipv4_count, &key);
		if (!val) {
			bpf_map_update_elem(&ipv4_count, &key, &zero, BPF_NOEXIST);
			val = bpf_map_lookup_elem(&ipv4_count, &key);
			if (!val)
				goto end;
		}
		__sync_fetch_and_add(val, 1);
	} else {
		struct event event = {};

		event.af = 2;
		event.pid = pid;
		event.uid = bpf_get_current_uid_gid();
		event.ts_us = bpf_ktime_get_ns() / 1000;
		event.saddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
		event.daddr_v4 = BPF_CORE_READ(sk, __sk_common.skc_daddr);
		event.dport = dport;
		bpf_get_current_comm(event.task, sizeof(event.task));
		bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &event, sizeof(event));
	}
end:
	bpf_map_delete_elem(&sockets, &tid);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
