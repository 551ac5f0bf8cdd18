// SPDX-License-Identifier: MIT OR Apache-2.0
// xdp-trafficgen/synproxy-style TCP option walk: find the MSS and timestamp
// options of SYN packets in a bounded loop over the option bytes; every read
// is re-checked against data_end and the running offset is masked so the
// verifier can bound the variable packet offset. MSS values above a
// `volatile const` clamp are counted per CPU. Written for bpfvet.
// bpfvet-expect(xdp_tcp_opts): accept
#include "bpfvet.h"
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/tcp.h>

#define MAX_OPT_WORDS 10
#define TCPOPT_EOL 0
#define TCPOPT_NOP 1
#define TCPOPT_MSS 2
#define TCPOPT_TIMESTAMP 8

volatile const __u16 mss_clamp = 1460;

struct opt_stats {
	__u64 syn_seen;
	__u64 mss_too_big;
	__u64 ts_seen;
	__u64 malformed;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct opt_stats);
} opt_stats SEC(".maps");

SEC("xdp")
int xdp_tcp_opts(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	struct iphdr *iph = data + sizeof(struct ethhdr);
	struct tcphdr *th = (void *)(iph + 1);
	struct opt_stats *st;
	__u32 zero = 0, off, opt_end;
	__u16 mss = 0;
	int i;

	if ((void *)(th + 1) > data_end)
		return XDP_PASS;
	if (iph->ihl != 5 || iph->protocol != IPPROTO_TCP || !th->syn)
		return XDP_PASS;
	st = bpf_map_lookup_elem(&opt_stats, &zero);
	if (!st)
		return XDP_PASS;
	st->syn_seen++;

	opt_end = th->doff * 4;
	if (opt_end <= sizeof(*th))
		return XDP_PASS;
	off = sizeof(*th);
	for (i = 0; i < MAX_OPT_WORDS * 4; i++) {
		__u8 *p, kind, len;

		if (off >= opt_end)
			break;
		off &= 0x3f;
		p = (__u8 *)th + off;
		if ((void *)(p + 1) > data_end)
			break;
		kind = p[0];
		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			off++;
			continue;
		}
		if ((void *)(p + 2) > data_end)
			break;
		len = p[1];
		if (len < 2) {
			st->malformed++;
			break;
		}
		if (kind == TCPOPT_MSS && len == 4) {
			if ((void *)(p + 4) > data_end)
				break;
			mss = ((__u16)p[2] << 8) | p[3];
		} else if (kind == TCPOPT_TIMESTAMP && len == 10) {
			st->ts_seen++;
		}
		off += len;
	}
	if (mss > mss_clamp)
		st->mss_too_big++;
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
