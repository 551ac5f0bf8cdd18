// SPDX-License-Identifier: MIT OR Apache-2.0
// A flow dissector reading __sk_buff->protocol: flow dissector programs may
// only use data, data_end and flow_keys (the protocol lives in
// flow_keys->n_proto).
// bpfvet-expect(dissector_reads_protocol): reject "invalid bpf_context access off=16 size=4"
#include "bpfvet.h"

SEC("flow_dissector")
int dissector_reads_protocol(struct __sk_buff *skb)
{
	if (skb->protocol != bpf_htons(0x0800))
		return BPF_DROP;
	return BPF_OK;
}

BV_DUAL;
