// SPDX-License-Identifier: MIT OR Apache-2.0
// Katran-style TCP packet routing ("TPR") on the server side: a sockops
// program reserves space for a custom TCP header option carrying the server
// id in SYN-ACKs and writes it with bpf_store_hdr_opt; on the client side it
// parses the option from incoming packets with bpf_load_hdr_opt and stores
// the server id in socket-local storage. Written for bpfvet.
// bpfvet-expect(tcp_pkt_router): accept
#include "bpfvet.h"

#define TCP_HDR_OPT_KIND_TPR 0xB7
#define TCP_HDR_OPT_LEN_TPR 6
#define SERVER_MODE 0

struct tcp_opt {
	__u8 kind;
	__u8 len;
	__u32 server_id;
} __attribute__((packed));

struct tpr_stats {
	__u64 conns;
	__u64 no_tcp_opt_hdr;
	__u64 invalid_option;
	__u64 server_id_read;
	__u64 server_id_set;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} server_infos SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tpr_stats);
} tpr_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} sk_sid_store SEC(".maps");

volatile const __u32 tpr_mode = SERVER_MODE;

static __always_inline int set_write_hdr_cb_flags(struct bpf_sock_ops *skops)
{
	return bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
						BPF_SOCK_OPS_WRITE_HDR_OPT_CB_FLAG);
}

static __always_inline int handle_hdr_opt_len(struct bpf_sock_ops *skops)
{
	if (!(skops->skb_tcp_flags & 0x02)) /* only SYN / SYN-ACK */
		return 0;
	return bpf_reserve_hdr_opt(skops, TCP_HDR_OPT_LEN_TPR, 0);
}

static __always_inline int handle_write_hdr_opt(struct bpf_sock_ops *skops,
						struct tpr_stats *st)
{
	struct tcp_opt opt = {};
	__u32 zero = 0, *sid;

	if (!(skops->skb_tcp_flags & 0x02))
		return 0;
	sid = bpf_map_lookup_elem(&server_infos, &zero);
	if (!sid || !*sid)
		return 0;
	opt.kind = TCP_HDR_OPT_KIND_TPR;
	opt.len = TCP_HDR_OPT_LEN_TPR;
	opt.server_id = *sid;
	if (bpf_store_hdr_opt(skops, &opt, sizeof(opt), 0))
		return -1;
	st->server_id_set++;
	return 0;
}

static __always_inline int handle_parse_hdr(struct bpf_sock_ops *skops, struct tpr_stats *st)
{
	struct tcp_opt opt = { .kind = TCP_HDR_OPT_KIND_TPR };
	__u32 *stored;
	int ret;

	if (!skops->sk)
		return 0;
	ret = bpf_load_hdr_opt(skops, &opt, sizeof(opt), 0);
	if (ret < 0) {
		st->no_tcp_opt_hdr++;
		return 0;
	}
	if (opt.len != TCP_HDR_OPT_LEN_TPR || !opt.server_id) {
		st->invalid_option++;
		return 0;
	}
	stored = bpf_sk_storage_get(&sk_sid_store, skops->sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (!stored)
		return 0;
	*stored = opt.server_id;
	st->server_id_read++;
	return 0;
}

SEC("sockops")
int tcp_pkt_router(struct bpf_sock_ops *skops)
{
	struct tpr_stats *st;
	__u32 zero = 0;

	st = bpf_map_lookup_elem(&tpr_stats, &zero);
	if (!st)
		return 1;
	switch (skops->op) {
	case BPF_SOCK_OPS_TCP_LISTEN_CB:
	case BPF_SOCK_OPS_TCP_CONNECT_CB:
		set_write_hdr_cb_flags(skops);
		break;
	case BPF_SOCK_OPS_PASSIVE_ESTABLISHED_CB:
		st->conns++;
		break;
	case BPF_SOCK_OPS_ACTIVE_ESTABLISHED_CB:
		st->conns++;
		bpf_sock_ops_cb_flags_set(skops, skops->bpf_sock_ops_cb_flags |
							 BPF_SOCK_OPS_PARSE_UNKNOWN_HDR_OPT_CB_FLAG);
		break;
	case BPF_SOCK_OPS_HDR_OPT_LEN_CB:
		if (tpr_mode == SERVER_MODE)
			handle_hdr_opt_len(skops);
		break;
	case BPF_SOCK_OPS_WRITE_HDR_OPT_CB:
		if (tpr_mode == SERVER_MODE)
			handle_write_hdr_opt(skops, st);
		break;
	case BPF_SOCK_OPS_PARSE_HDR_OPT_CB:
		if (tpr_mode != SERVER_MODE)
			handle_parse_hdr(skops, st);
		break;
	}
	return 1;
}

char _license[] SEC("license") = "GPL";
