// SPDX-License-Identifier: MIT OR Apache-2.0
// samples/bpf-style socket filter flow parser split into tail-called stages
// (parse eth/VLAN -> IPv4 -> ports), passing state through a per-CPU array;
// header bytes are read with LD_ABS/LD_IND. Legacy SEC("maps") including
// the PROG_ARRAY; no BTF (-g0). Each stage is judged on its own.
// Written for bpfvet.
// bpfvet-cflags: -g0
// bpfvet-expect(parse_eth): accept
// bpfvet-expect(parse_ip): accept
// bpfvet-expect(parse_ports): accept
#include "bpfvet.h"
#include "bpfvet_legacy.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <stddef.h>

unsigned long long load_byte(void *skb, unsigned long long off) asm("llvm.bpf.load.byte");
unsigned long long load_half(void *skb, unsigned long long off) asm("llvm.bpf.load.half");
unsigned long long load_word(void *skb, unsigned long long off) asm("llvm.bpf.load.word");

#define PARSE_IP 3
#define PARSE_PORTS 4

struct flow_key_record {
	__be32 src;
	__be32 dst;
	union {
		__be32 ports;
		__be16 port16[2];
	};
	__u32 ip_proto;
};

struct globals {
	struct flow_key_record flow;
	__u32 nhoff;
};

struct pair {
	__u64 packets;
	__u64 bytes;
};

struct bpf_map_def SEC("maps") jmp_table = {
	.type = BPF_MAP_TYPE_PROG_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 8,
};

struct bpf_map_def SEC("maps") percpu_map = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct globals),
	.max_entries = 32,
};

struct bpf_map_def SEC("maps") hash_map = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(struct flow_key_record),
	.value_size = sizeof(struct pair),
	.max_entries = 1024,
};

static __always_inline struct globals *this_cpu_globals(void)
{
	__u32 key = bpf_get_smp_processor_id();

	return bpf_map_lookup_elem(&percpu_map, &key);
}

SEC("socket/0")
int parse_eth(struct __sk_buff *skb)
{
	struct globals *g = this_cpu_globals();
	__u32 nhoff = ETH_HLEN;
	__u64 proto = load_half(skb, 12);

	if (!g)
		return 0;
	if (proto == ETH_P_8021AD || proto == ETH_P_8021Q) {
		proto = load_half(skb, nhoff + 2);
		nhoff += 4;
	}
	if (proto == ETH_P_8021Q) {
		proto = load_half(skb, nhoff + 2);
		nhoff += 4;
	}
	g->nhoff = nhoff;
	if (proto == ETH_P_IP)
		bpf_tail_call(skb, &jmp_table, PARSE_IP);
	return 0;
}

SEC("socket/3")
int parse_ip(struct __sk_buff *skb)
{
	struct globals *g = this_cpu_globals();
	__u32 nhoff, verlen, ip_proto;

	if (!g)
		return 0;
	nhoff = g->nhoff;
	if (load_half(skb, nhoff + offsetof(struct iphdr, frag_off)) & 0x3fff)
		return 0;
	ip_proto = load_byte(skb, nhoff + offsetof(struct iphdr, protocol));
	g->flow.src = load_word(skb, nhoff + offsetof(struct iphdr, saddr));
	g->flow.dst = load_word(skb, nhoff + offsetof(struct iphdr, daddr));
	g->flow.ip_proto = ip_proto;
	verlen = load_byte(skb, nhoff + 0);
	nhoff += (verlen & 0xF) << 2;
	g->nhoff = nhoff;
	if (ip_proto == IPPROTO_TCP || ip_proto == IPPROTO_UDP)
		bpf_tail_call(skb, &jmp_table, PARSE_PORTS);
	return 0;
}

SEC("socket/4")
int parse_ports(struct __sk_buff *skb)
{
	struct globals *g = this_cpu_globals();
	struct flow_key_record key;
	struct pair *value, init;

	if (!g)
		return 0;
	g->flow.ports = load_word(skb, g->nhoff);
	key = g->flow;
	value = bpf_map_lookup_elem(&hash_map, &key);
	if (value) {
		__sync_fetch_and_add(&value->packets, 1);
		__sync_fetch_and_add(&value->bytes, skb->len);
	} else {
		init.packets = 1;
		init.bytes = skb->len;
		bpf_map_update_elem(&hash_map, &key, &init, BPF_ANY);
	}
	return skb->len;
}

char _license[] SEC("license") = "GPL";
