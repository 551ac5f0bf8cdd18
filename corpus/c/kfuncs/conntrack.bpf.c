// SPDX-License-Identifier: MIT OR Apache-2.0
// Connection tracking from XDP and tc (net/netfilter/nf_conntrack_bpf.c, Linux
// 5.18+; allocation and insertion 6.0+): a lookup whose reference is released,
// a new entry allocated, given its timeout, status and NAT address (6.1+),
// inserted and released,
// and the mark written (the one nf_conn field programs may write). And the ways
// the kernel refuses them: a not-yet-inserted entry (nf_conn___init) released
// as an nf_conn, an inserted entry given to a setter of new entries, a write to
// another field, a lookup reference leaked, a lookup without a tuple, and a
// lookup from a program type the conntrack kfuncs are not registered for.
// bpfvet-expect(ct_xdp_lookup_release): accept
// bpfvet-expect(ct_tc_alloc_insert): accept
// bpfvet-expect(ct_tc_write_mark): accept
// bpfvet-expect(ct_release_uninserted): reject "kernel function bpf_ct_release args#0 expected pointer to STRUCT nf_conn but R1 has a pointer to STRUCT nf_conn___init"
// bpfvet-expect(ct_change_uninserted): reject "kernel function bpf_ct_change_timeout args#0 expected pointer to STRUCT nf_conn but R1 has a pointer to STRUCT nf_conn___init"
// bpfvet-expect(ct_set_after_insert): reject "kernel function bpf_ct_set_status args#0 expected pointer to STRUCT nf_conn___init but R1 has a pointer to STRUCT nf_conn"
// bpfvet-expect(ct_write_status): reject "no write support to nf_conn at off"
// bpfvet-expect(ct_lookup_leak): reject "Unreleased reference"
// bpfvet-expect(ct_lookup_null_tuple): reject "Possibly NULL pointer passed to trusted arg1"
// bpfvet-expect(ct_lookup_socket_filter): reject "calling kernel function bpf_skb_ct_lookup is not allowed"
#include "bpfvet.h"

/* The fields used here; CO-RE places them at the kernel's offsets. */
struct nf_conn {
	__u32 timeout;
	unsigned long status;
	__u32 mark;
} __attribute__((preserve_access_index));

struct nf_conn___init {
	struct nf_conn ct;
} __attribute__((preserve_access_index));

struct bpf_ct_opts {
	__s32 netns_id;
	__s32 error;
	__u8 l4proto;
	__u8 dir;
	__u16 ct_zone_id;
	__u8 ct_zone_dir;
	__u8 reserved[3];
};

extern struct nf_conn *bpf_xdp_ct_lookup(struct xdp_md *, struct bpf_sock_tuple *, __u32,
					 struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn *bpf_skb_ct_lookup(struct __sk_buff *, struct bpf_sock_tuple *, __u32,
					 struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn___init *bpf_skb_ct_alloc(struct __sk_buff *, struct bpf_sock_tuple *,
					       __u32, struct bpf_ct_opts *, __u32) __ksym;
extern struct nf_conn *bpf_ct_insert_entry(struct nf_conn___init *) __ksym;
extern void bpf_ct_release(struct nf_conn *) __ksym;
extern void bpf_ct_set_timeout(struct nf_conn___init *, __u32) __ksym;
extern int bpf_ct_change_timeout(struct nf_conn *, __u32) __ksym;
extern int bpf_ct_set_status(const struct nf_conn___init *, __u32) __ksym;

union nf_inet_addr {
	__u32 all[4];
	__be32 ip;
	__be32 ip6[4];
};
enum nf_nat_manip_type { NF_NAT_MANIP_SRC, NF_NAT_MANIP_DST };
extern int bpf_ct_set_nat_info(struct nf_conn___init *, union nf_inet_addr *, int,
			       enum nf_nat_manip_type) __ksym;

/* Tuple and options of a TCP IPv4 flow, as the kfuncs take them. */
#define CT_ARGS(tup, opts)                                                   \
	struct bpf_sock_tuple tup = {};                                      \
	struct bpf_ct_opts opts = { .netns_id = -1, .l4proto = 6 };          \
	tup.ipv4.saddr = bpf_htonl(0x0a000001);                              \
	tup.ipv4.daddr = bpf_htonl(0x0a000002);                              \
	tup.ipv4.sport = bpf_htons(1234);                                    \
	tup.ipv4.dport = bpf_htons(80)

SEC("xdp")
int ct_xdp_lookup_release(struct xdp_md *ctx)
{
	CT_ARGS(tup, opts);
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));
	int ret = XDP_PASS;

	if (!ct)
		return ret;
	if (ct->mark == 42)
		ret = XDP_DROP;
	bpf_ct_release(ct);
	return ret;
}

SEC("tc")
int ct_tc_alloc_insert(struct __sk_buff *skb)
{
	CT_ARGS(tup, opts);
	struct nf_conn___init *ct = bpf_skb_ct_alloc(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));
	struct nf_conn *ins;

	if (!ct)
		return 0;
	bpf_ct_set_timeout(ct, 10000);
	bpf_ct_set_status(ct, 8 /* IPS_CONFIRMED */);
	union nf_inet_addr addr = { .ip = bpf_htonl(0x0a000003) };
	bpf_ct_set_nat_info(ct, &addr, 8080, NF_NAT_MANIP_DST);
	ins = bpf_ct_insert_entry(ct);
	if (!ins)
		return 0;
	bpf_ct_change_timeout(ins, 20000);
	bpf_ct_release(ins);
	return 0;
}

SEC("tc")
int ct_tc_write_mark(struct __sk_buff *skb)
{
	CT_ARGS(tup, opts);
	struct nf_conn *ct = bpf_skb_ct_lookup(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));

	if (!ct)
		return 0;
	ct->mark = 7;
	bpf_ct_release(ct);
	return 0;
}

SEC("tc")
int ct_release_uninserted(struct __sk_buff *skb)
{
	CT_ARGS(tup, opts);
	struct nf_conn___init *ct = bpf_skb_ct_alloc(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));

	if (!ct)
		return 0;
	bpf_ct_release((struct nf_conn *)ct);
	return 0;
}

SEC("tc")
int ct_change_uninserted(struct __sk_buff *skb)
{
	CT_ARGS(tup, opts);
	struct nf_conn___init *ct = bpf_skb_ct_alloc(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));
	struct nf_conn *ins;

	if (!ct)
		return 0;
	bpf_ct_change_timeout((struct nf_conn *)ct, 100);
	ins = bpf_ct_insert_entry(ct);
	if (ins)
		bpf_ct_release(ins);
	return 0;
}

SEC("tc")
int ct_set_after_insert(struct __sk_buff *skb)
{
	CT_ARGS(tup, opts);
	struct nf_conn___init *ct = bpf_skb_ct_alloc(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));
	struct nf_conn *ins;

	if (!ct)
		return 0;
	ins = bpf_ct_insert_entry(ct);
	if (!ins)
		return 0;
	bpf_ct_set_status((struct nf_conn___init *)ins, 8);
	bpf_ct_release(ins);
	return 0;
}

SEC("tc")
int ct_write_status(struct __sk_buff *skb)
{
	CT_ARGS(tup, opts);
	struct nf_conn *ct = bpf_skb_ct_lookup(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));

	if (!ct)
		return 0;
	ct->status = 0;
	bpf_ct_release(ct);
	return 0;
}

SEC("xdp")
int ct_lookup_leak(struct xdp_md *ctx)
{
	CT_ARGS(tup, opts);
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));

	if (ct && ct->mark == 1)
		return XDP_DROP;
	return XDP_PASS;
}

SEC("xdp")
int ct_lookup_null_tuple(struct xdp_md *ctx)
{
	CT_ARGS(tup, opts);
	struct nf_conn *ct = bpf_xdp_ct_lookup(ctx, 0, 0, &opts, sizeof(opts));

	if (ct)
		bpf_ct_release(ct);
	return XDP_PASS;
}

SEC("socket")
int ct_lookup_socket_filter(struct __sk_buff *skb)
{
	CT_ARGS(tup, opts);
	struct nf_conn *ct = bpf_skb_ct_lookup(skb, &tup, sizeof(tup.ipv4), &opts, sizeof(opts));

	if (ct)
		bpf_ct_release(ct);
	return 0;
}

BV_GPL;
