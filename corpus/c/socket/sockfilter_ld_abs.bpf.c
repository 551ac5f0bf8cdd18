// SPDX-License-Identifier: MIT OR Apache-2.0
// Socket filter in the classic samples/bpf style: LLVM's legacy packet-load
// intrinsics become BPF_LD_ABS/BPF_LD_IND instructions. Keep only TCP over
// IPv4 to port 22 (truncate to 0 = drop otherwise).
// bpfvet-expect(sockfilter_ssh_only): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <stddef.h>

unsigned long long ld_abs_u8(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long ld_abs_u16(void *skb, unsigned long long off) asm("llvm.bpf.load.half");

SEC("socket")
int sockfilter_ssh_only(struct __sk_buff *skb)
{
	__u64 ihl;

	if (ld_abs_u16(skb, offsetof(struct ethhdr, h_proto)) != ETH_P_IP)
		return 0;
	if (ld_abs_u8(skb, ETH_HLEN + offsetof(struct iphdr, protocol)) != IPPROTO_TCP)
		return 0;
	ihl = (ld_abs_u8(skb, ETH_HLEN) & 0x0f) << 2;
	if (ld_abs_u16(skb, ETH_HLEN + ihl + 2) != 22)
		return 0;
	return skb->len;
}

BV_DUAL;
