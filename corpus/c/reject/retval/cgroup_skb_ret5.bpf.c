// SPDX-License-Identifier: MIT OR Apache-2.0
// cgroup_skb ingress programs must return 0 (drop) or 1 (allow); this one
// returns an errno-style value on one path.
// bpfvet-expect(cg_ingress_bad_ret): reject "At program exit the register R0 has smin=5 smax=5 should have been in [0, 1]"
#include "bpfvet.h"

SEC("cgroup_skb/ingress")
int cg_ingress_bad_ret(struct __sk_buff *skb)
{
	if (skb->len > 9000)
		return 5;
	return 1;
}

BV_DUAL;
