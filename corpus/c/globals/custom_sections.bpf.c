// SPDX-License-Identifier: MIT OR Apache-2.0
// libbpf's custom data sections: .data.<name> and .rodata.<name> become
// extra global-data maps; a lookup table lives in its own .rodata section.
// bpfvet-expect(custom_section_lookup): accept
#include "bpfvet.h"

__u64 hits SEC(".data.counters") = 0;
const __u8 dscp_to_prio[64] SEC(".rodata.tables") = {
	[46] = 6, [34] = 4, [26] = 3, [18] = 2, [10] = 1,
};

SEC("tc")
int custom_section_lookup(struct __sk_buff *skb)
{
	__u32 dscp = skb->tc_index & 63;

	skb->priority = dscp_to_prio[dscp];
	__sync_fetch_and_add(&hits, 1);
	return 0;
}

BV_DUAL;
