// SPDX-License-Identifier: MIT OR Apache-2.0
// A TCP congestion-control struct_ops program that writes a tcp_sock field the
// kernel does not let congestion control change (snd_una): rejected. The
// other members are valid (libbpf loads the set together, so the live kernel
// reports them refused after ca_bad_init fails; checked alone they verify).
// bpfvet-expect(ca_bad_init): reject "no write support to tcp_sock at off"
// bpfvet-expect(ca_bad_ssthresh): refused "libbpf loads the struct_ops set together and stops at ca_bad_init's rejection"
// bpfvet-expect(ca_bad_cong_avoid): refused "libbpf loads the struct_ops set together and stops at ca_bad_init's rejection"
// bpfvet-expect(ca_bad_undo_cwnd): refused "libbpf loads the struct_ops set together and stops at ca_bad_init's rejection"
#include "bpfvet.h"

struct sock {
	int __unused;
};
struct tcp_sock {
	__u32 snd_una;
} __attribute__((preserve_access_index));

struct tcp_congestion_ops {
	__u32 (*ssthresh)(struct sock *sk);
	void (*cong_avoid)(struct sock *sk, __u32 ack, __u32 acked);
	__u32 (*undo_cwnd)(struct sock *sk);
	void (*init)(struct sock *sk);
	char name[16];
};

extern __u32 tcp_reno_ssthresh(struct sock *sk) __ksym;
extern void tcp_reno_cong_avoid(struct sock *sk, __u32 ack, __u32 acked) __ksym;
extern __u32 tcp_reno_undo_cwnd(struct sock *sk) __ksym;

SEC("struct_ops")
void ca_bad_init(unsigned long long *ctx)
{
	struct tcp_sock *tp = (struct tcp_sock *)ctx[0];

	tp->snd_una = 0;
}

SEC("struct_ops")
__u32 ca_bad_ssthresh(unsigned long long *ctx)
{
	return tcp_reno_ssthresh((struct sock *)ctx[0]);
}

SEC("struct_ops")
void ca_bad_cong_avoid(unsigned long long *ctx)
{
	tcp_reno_cong_avoid((struct sock *)ctx[0], (__u32)ctx[1], (__u32)ctx[2]);
}

SEC("struct_ops")
__u32 ca_bad_undo_cwnd(unsigned long long *ctx)
{
	return tcp_reno_undo_cwnd((struct sock *)ctx[0]);
}

SEC(".struct_ops")
struct tcp_congestion_ops bpfvet_bad_ca = {
	.init = (void *)ca_bad_init,
	.ssthresh = (void *)ca_bad_ssthresh,
	.cong_avoid = (void *)ca_bad_cong_avoid,
	.undo_cwnd = (void *)ca_bad_undo_cwnd,
	.name = "bpfvet_bad_ca",
};

char LICENSE[] SEC("license") = "GPL";
