// SPDX-License-Identifier: MIT OR Apache-2.0
// A BTF-typed raw tracepoint whose target does not exist in the running
// kernel (a tracepoint renamed or removed between releases, or a typo).
// libbpf refuses it before loading: it cannot find the target's BTF id. An
// offline checker cannot type the context without the target's prototype,
// so every read of it is unverifiable.
// bpfvet-expect(tp_btf_gone): refused "libbpf: failed to find kernel BTF type ID of 'bpfvet_no_such_event'"
#include "bpfvet.h"

__u64 seen;

SEC("tp_btf/bpfvet_no_such_event")
int tp_btf_gone(__u64 *ctx)
{
	seen = ctx[0];
	return 0;
}

BV_DUAL;
