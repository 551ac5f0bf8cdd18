// SPDX-License-Identifier: MIT OR Apache-2.0
// sk_skb stream parser + verdict for a length-prefixed protocol: the parser
// reads a 4-byte big-endian length header, the verdict forwards records to
// the socket in slot 0 of a SOCKMAP (a TCP proxy splice).
// bpfvet-expect(skskb_parser): accept
// bpfvet-expect(skskb_verdict): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_SOCKMAP);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} proxy_map SEC(".maps");

SEC("sk_skb/stream_parser")
int skskb_parser(struct __sk_buff *skb)
{
	__be32 len;

	if (bpf_skb_load_bytes(skb, 0, &len, sizeof(len)))
		return skb->len;
	return bpf_ntohl(len) + sizeof(len);
}

SEC("sk_skb/stream_verdict")
int skskb_verdict(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;
	__u8 *tag = data + 4;

	if ((void *)(tag + 1) <= data_end && *tag == 0xff)
		return SK_DROP;
	return bpf_sk_redirect_map(skb, &proxy_map, 0, 0);
}

BV_DUAL;
