// SPDX-License-Identifier: MIT OR Apache-2.0
// Walking a union makes the result untrusted (Linux 6.4 and later): the kernel
// marks a pointer read from inside a union with more than one member
// PTR_UNTRUSTED, however trusted the object it was read from. sk_buff's first
// members (next, prev, dev) sit in such a union, so skb->next may be read
// through but never handed to a helper that wants a kernel object; skb->sk,
// outside any union, may.
// bpfvet-expect(skb_output_self): accept
// bpfvet-expect(sk_storage_of_skb_sk): accept
// bpfvet-expect(read_through_union): accept
// bpfvet-expect(skb_output_next): reject "R1 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_"
// bpfvet-expect(sk_storage_of_next_sk): reject "R2 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_"
#include "bpfvet.h"

struct sock;

struct sk_buff {
	union {
		struct {
			struct sk_buff *next;
			struct sk_buff *prev;
		};
	};
	struct sock *sk;
	unsigned int len;
} __attribute__((preserve_access_index));

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(int));
	__uint(value_size, sizeof(int));
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, long);
} sk_seen SEC(".maps");

SEC("tp_btf/tcp_probe")
int skb_output_self(__u64 *ctx)
{
	struct sk_buff *skb = (void *)ctx[1];
	long v = 1;

	return bpf_skb_output(skb, &events, BPF_F_CURRENT_CPU, &v, sizeof(v)) & 1;
}

SEC("tp_btf/tcp_probe")
int sk_storage_of_skb_sk(__u64 *ctx)
{
	struct sk_buff *skb = (void *)ctx[1];

	return bpf_sk_storage_get(&sk_seen, skb->sk, 0, 0) != 0;
}

SEC("tp_btf/tcp_probe")
int read_through_union(__u64 *ctx)
{
	struct sk_buff *skb = (void *)ctx[1];
	struct sk_buff *next = skb->next;

	/* An untrusted pointer may still be read through. */
	return next->len & 1;
}

SEC("tp_btf/tcp_probe")
int skb_output_next(__u64 *ctx)
{
	struct sk_buff *skb = (void *)ctx[1];
	long v = 1;

	return bpf_skb_output(skb->next, &events, BPF_F_CURRENT_CPU, &v, sizeof(v)) & 1;
}

SEC("tp_btf/tcp_probe")
int sk_storage_of_next_sk(__u64 *ctx)
{
	struct sk_buff *skb = (void *)ctx[1];

	/* next is untrusted, and so is what is read through it. */
	return bpf_sk_storage_get(&sk_seen, skb->next->sk, 0, 0) != 0;
}

BV_GPL;
