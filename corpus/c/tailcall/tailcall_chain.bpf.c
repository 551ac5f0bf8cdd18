// SPDX-License-Identifier: MIT OR Apache-2.0
// Tail calls through a PROG_ARRAY: a dispatcher jumps to a per-protocol
// handler chosen by the EtherType; handlers may tail-call the next stage.
// The prog array is filled by user space after load (no static __array
// init, so that each program can be loaded and verified on its own).
// bpfvet-expect(tc_dispatch): accept
// bpfvet-expect(tc_handle_ipv4): accept
// bpfvet-expect(tc_handle_ipv6): accept
// bpfvet-expect(tc_final_stage): accept
#include "bpfvet.h"
#include <linux/if_ether.h>

enum { SLOT_IPV4, SLOT_IPV6, SLOT_FINAL, SLOT_MAX };

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SLOT_MAX);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} jmp_table SEC(".maps");

__u64 stage_hits[SLOT_MAX];

SEC("tc")
int tc_dispatch(struct __sk_buff *skb)
{
	if (skb->protocol == bpf_htons(ETH_P_IP))
		bpf_tail_call(skb, &jmp_table, SLOT_IPV4);
	else if (skb->protocol == bpf_htons(ETH_P_IPV6))
		bpf_tail_call(skb, &jmp_table, SLOT_IPV6);
	/* tail call failed or not applicable: fall through */
	return 0;
}

SEC("tc")
int tc_handle_ipv4(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&stage_hits[SLOT_IPV4], 1);
	bpf_tail_call(skb, &jmp_table, SLOT_FINAL);
	return 0;
}

SEC("tc")
int tc_handle_ipv6(struct __sk_buff *skb)
{
	__u32 slot = SLOT_FINAL;

	__sync_fetch_and_add(&stage_hits[SLOT_IPV6], 1);
	bpf_tail_call(skb, &jmp_table, slot);
	return 0;
}

SEC("tc")
int tc_final_stage(struct __sk_buff *skb)
{
	__sync_fetch_and_add(&stage_hits[SLOT_FINAL], 1);
	return 0;
}

BV_DUAL;
