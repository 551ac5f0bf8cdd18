// SPDX-License-Identifier: MIT OR Apache-2.0
// A struct_ops callback set: a minimal TCP congestion control (struct
// tcp_congestion_ops) whose members are BPF programs. Each program's context is
// its member's arguments (struct sock, seen as struct tcp_sock); the kernel lets
// these programs write a few tcp_sock fields (snd_cwnd, snd_ssthresh...) and
// call the TCP congestion-control kfuncs.
// bpfvet-expect(ca_init): accept
// bpfvet-expect(ca_ssthresh): accept
// bpfvet-expect(ca_cong_avoid): accept
// bpfvet-expect(ca_undo_cwnd): accept
#include "bpfvet.h"

struct sock {
	int __unused;
};
struct tcp_sock {
	__u32 snd_cwnd;
	__u32 snd_ssthresh;
} __attribute__((preserve_access_index));

struct tcp_congestion_ops {
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	__u32 (*undo_cwnd)(struct sock *sk);
	void (*init)(struct sock *sk);
	char name[16];
};

extern void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
extern __u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

SEC("struct_ops")
void ca_init(unsigned long long *ctx)
{
	struct tcp_sock *tp = (struct tcp_sock *)ctx[0];

	tp->snd_ssthresh = 64;
}

SEC("struct_ops")
__u32 ca_ssthresh(unsigned long long *ctx)
{
	struct tcp_sock *tp = (struct tcp_sock *)ctx[0];
	__u32 half = tp->snd_cwnd >> 1;

	return half > 2 ? half : 2;
}

SEC("struct_ops")
void ca_cong_avoid(unsigned long long *ctx)
{
	tcp_reno_cong_avoid((struct sock *)ctx[0], (__u32)ctx[1], (__u32)ctx[2]);
}

SEC("struct_ops")
__u32 ca_undo_cwnd(unsigned long long *ctx)
{
	return tcp_reno_undo_cwnd((struct sock *)ctx[0]);
}

SEC(".struct_ops")
struct tcp_congestion_ops bpfvet_ca = {
	.init = (void *)ca_init,
	.ssthresh = (void *)ca_ssthresh,
	.cong_avoid = (void *)ca_cong_avoid,
	.undo_cwnd = (void *)ca_undo_cwnd,
	.name = "bpfvet_ca",
};

char LICENSE[] SEC("license") = "GPL";
