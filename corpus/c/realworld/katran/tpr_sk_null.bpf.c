// SPDX-License-Identifier: MIT OR Apache-2.0
// A TPR-style sockops client that stores the parsed server id in socket
// local storage, passing skops->sk straight to bpf_sk_storage_get. The sk
// field of bpf_sock_ops may be NULL (e.g. in request-sock callbacks), so the
// verifier wants a check first. Written for bpfvet.
// bpfvet-expect(tpr_store_sid): reject "R2 type=sock_or_null expected=sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_SK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
} sid_store SEC(".maps");

SEC("sockops")
int tpr_store_sid(struct bpf_sock_ops *skops)
{
	struct {
		__u8 kind;
		__u8 len;
		__u32 sid;
	} __attribute__((packed)) opt = { .kind = 0xB7 };
	__u32 *stored;

	if (skops->op != BPF_SOCK_OPS_PARSE_HDR_OPT_CB)
		return 1;
	if (bpf_load_hdr_opt(skops, &opt, sizeof(opt), 0) < 0)
		return 1;
	stored = bpf_sk_storage_get(&sid_store, skops->sk, NULL, BPF_SK_STORAGE_GET_F_CREATE);
	if (stored)
		*stored = opt.sid;
	return 1;
}

char _license[] SEC("license") = "GPL";
