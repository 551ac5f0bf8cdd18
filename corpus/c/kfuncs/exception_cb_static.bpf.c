// SPDX-License-Identifier: MIT OR Apache-2.0
// An exception callback must be a global function: libbpf refuses an object
// whose __exception_cb names a static one, before the kernel sees it (its
// words with the system's libbpf: "exception callback static_handler must be
// a global non-hidden function").
// bpfvet-expect(throws_to_static_handler): refused "libbpf: exception callback static_handler must be a global non-hidden function"
#include "bpfvet.h"

extern void bpf_throw(__u64 cookie) __ksym;

#define __exception_cb(name) \
	__attribute__((btf_decl_tag("exception_callback:" #name)))

static __attribute__((noinline, used)) int static_handler(__u64 cookie)
{
	return cookie > 1 ? 1 : 0;
}

SEC("tc")
__exception_cb(static_handler)
int throws_to_static_handler(struct __sk_buff *skb)
{
	if (skb->len > 10)
		bpf_throw(1);
	return 0;
}

BV_GPL;
