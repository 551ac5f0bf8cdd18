// SPDX-License-Identifier: MIT OR Apache-2.0
// Preemption (Linux 6.10+): bpf_preempt_disable and bpf_preempt_enable nest and
// must balance on every path, through static functions too; and the ways the
// kernel refuses them: an exit with preemption still disabled, an enable with
// none disabled, and a throw inside the disabled region.
// bpfvet-expect(preempt_pair): accept
// bpfvet-expect(preempt_nested_across_subprog): accept
// bpfvet-expect(preempt_left_disabled): reject "BPF_EXIT instruction in main prog cannot be used inside bpf_preempt_disable-ed region"
// bpfvet-expect(preempt_unmatched_enable): reject "unmatched attempt to enable preemption (kernel function bpf_preempt_enable)"
// bpfvet-expect(preempt_throw_inside): reject "bpf_throw cannot be used inside bpf_preempt_disable-ed region"
#include "bpfvet.h"

extern void bpf_preempt_disable(void) __ksym;
extern void bpf_preempt_enable(void) __ksym;
extern void bpf_throw(__u64 cookie) __ksym;

static __noinline void disable_twice(void)
{
	bpf_preempt_disable();
	bpf_preempt_disable();
}

SEC("tc")
int preempt_pair(struct __sk_buff *skb)
{
	bpf_preempt_disable();
	bpf_preempt_enable();
	return 0;
}

SEC("tc")
int preempt_nested_across_subprog(struct __sk_buff *skb)
{
	disable_twice();
	bpf_preempt_enable();
	bpf_preempt_enable();
	return 0;
}

SEC("tc")
int preempt_left_disabled(struct __sk_buff *skb)
{
	bpf_preempt_disable();
	if (skb->len > 100)
		return 1;
	bpf_preempt_enable();
	return 0;
}

SEC("tc")
int preempt_unmatched_enable(struct __sk_buff *skb)
{
	bpf_preempt_disable();
	bpf_preempt_enable();
	bpf_preempt_enable();
	return 0;
}

SEC("tc")
int preempt_throw_inside(struct __sk_buff *skb)
{
	bpf_preempt_disable();
	if (skb->len > 100)
		bpf_throw(0);
	bpf_preempt_enable();
	return 0;
}

BV_GPL;
