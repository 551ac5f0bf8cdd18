// SPDX-License-Identifier: MIT OR Apache-2.0
// tcpdrop/tcplife-style kprobe on tcp_set_state: read the socket's addresses,
// ports and old state through CO-RE (struct sock -> __sk_common) and emit
// transitions to TCP_CLOSE.
// bpfvet-expect(core_tcp_set_state): accept
#include "bpfvet.h"
#include "bpfvet_core.h"
#include "bpfvet_tracing.h"
#include <bpf/bpf_core_read.h>

#define TCP_CLOSE 7

struct close_event {
	__u32 saddr;
	__u32 daddr;
	__u16 sport;
	__u16 dport;
	__u8 oldstate;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} close_events SEC(".maps");

SEC("kprobe/tcp_set_state")
int BPF_KPROBE(core_tcp_set_state, struct sock *sk, int state)
{
	struct close_event ev = {};

	if (state != TCP_CLOSE)
		return 0;
	if (BPF_CORE_READ(sk, __sk_common.skc_family) != 2)
		return 0;
	ev.saddr = BPF_CORE_READ(sk, __sk_common.skc_rcv_saddr);
	ev.daddr = BPF_CORE_READ(sk, __sk_common.skc_daddr);
	ev.sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	ev.dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	ev.oldstate = BPF_CORE_READ(sk, __sk_common.skc_state);
	bpf_perf_event_output(ctx, &close_events, BPF_F_CURRENT_CPU, &ev, sizeof(ev));
	return 0;
}

BV_GPL;
