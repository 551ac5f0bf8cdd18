// SPDX-License-Identifier: MIT OR Apache-2.0
// Cilium-style drop/trace notifications: a tc program that classifies a
// packet against a policy map and, on drop, emits a fixed-size notify header
// plus up to 128 bytes of the packet through the perf event array
// (skb payload length encoded in the upper 32 bits of the flags).
// Events are rate-limited with a per-CPU token bucket. Built with -O1.
// Written for bpfvet.
// bpfvet-cflags: -O1
// bpfvet-expect(cil_policy_drop_notify): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/pkt_cls.h>

#define CILIUM_NOTIFY_DROP 1
#define TRACE_PAYLOAD_LEN 128ULL

struct drop_notify {
	__u8 type;
	__u8 subtype;
	__u16 source;
	__u32 hash;
	__u32 len_orig;
	__u16 len_cap;
	__u16 version;
	__u32 src_label;
	__u32 dst_label;
	__u32 dst_id;
	__u16 line;
	__u8 file;
	__u8 ext_error;
	__u32 ifindex;
};

struct policy_key {
	__u32 sec_label;
	__u16 dport;
	__u8 protocol;
	__u8 egress;
};

struct policy_entry {
	__u8 deny;
	__u8 pad[3];
	__u32 proxy_port;
	__u64 packets;
	__u64 bytes;
};

struct ratelimit {
	__u64 last_ns;
	__u64 tokens;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} cilium_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct policy_key);
	__type(value, struct policy_entry);
} cilium_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct ratelimit);
} cilium_ratelimit SEC(".maps");

static __always_inline int ratelimit_ok(void)
{
	__u32 zero = 0;
	struct ratelimit *rl = bpf_map_lookup_elem(&cilium_ratelimit, &zero);
	__u64 now = bpf_ktime_get_ns();

	if (!rl)
		return 0;
	if (now - rl->last_ns > 1000000000ULL) {
		rl->last_ns = now;
		rl->tokens = 100;
	}
	if (!rl->tokens)
		return 0;
	rl->tokens--;
	return 1;
}

static __always_inline void send_drop_notify(struct __sk_buff *skb, __u32 src, __u32 dst,
					     int reason, __u16 line)
{
	struct drop_notify msg = {};
	__u64 cap = skb->len < TRACE_PAYLOAD_LEN ? skb->len : TRACE_PAYLOAD_LEN;

	if (!ratelimit_ok())
		return;
	msg.type = CILIUM_NOTIFY_DROP;
	msg.subtype = (__u8)(-reason);
	msg.hash = bpf_get_hash_recalc(skb);
	msg.len_orig = skb->len;
	msg.len_cap = (__u16)cap;
	msg.version = 2;
	msg.src_label = src;
	msg.dst_label = dst;
	msg.line = line;
	msg.file = 7;
	msg.ifindex = skb->ifindex;
	bpf_perf_event_output(skb, &cilium_events, (cap << 32) | BPF_F_CURRENT_CPU, &msg,
			      sizeof(msg));
}

SEC("tc")
int cil_policy_drop_notify(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	struct iphdr *ip4 = data + ETH_HLEN;
	struct policy_key key = {};
	struct policy_entry *pe;
	__be16 dport = 0;

	if ((void *)(ip4 + 1) > data_end)
		return TC_ACT_OK;
	key.sec_label = skb->mark >> 16;
	key.protocol = ip4->protocol;
	if (ip4->protocol == IPPROTO_TCP || ip4->protocol == IPPROTO_UDP) {
		if (bpf_skb_load_bytes(skb, ETH_HLEN + ip4->ihl * 4 + 2, &dport, 2) < 0)
			return TC_ACT_SHOT;
	}
	key.dport = dport;
	pe = bpf_map_lookup_elem(&cilium_policy, &key);
	if (!pe) {
		key.dport = 0; /* L3-only rule */
		pe = bpf_map_lookup_elem(&cilium_policy, &key);
	}
	if (!pe || pe->deny) {
		send_drop_notify(skb, key.sec_label, 0, -133, __LINE__);
		return TC_ACT_SHOT;
	}
	__sync_fetch_and_add(&pe->packets, 1);
	__sync_fetch_and_add(&pe->bytes, skb->len);
	if (pe->proxy_port)
		skb->mark = 0x0200 | (pe->proxy_port << 16);
	return TC_ACT_OK;
}

char __license[] SEC("license") = "Dual BSD/GPL";
