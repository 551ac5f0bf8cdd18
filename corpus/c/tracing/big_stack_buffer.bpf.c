// SPDX-License-Identifier: MIT OR Apache-2.0
// A tracer with a 480-byte scratch buffer on the stack: accepted, but close to the 512-byte
// limit, which bpfvet warns about.
// bpfvet-expect(big_scratch): accept
#include "bpfvet.h"

struct scratch {
	__u64 words[60];
};

SEC("raw_tracepoint/sys_enter")
int big_scratch(void *ctx)
{
	struct scratch s;
	__u64 sum = 0;

	__builtin_memset(&s, 0, sizeof(s));
	bpf_probe_read_kernel(&s, sizeof(s), ctx);
	for (int i = 0; i < 60; i++)
		sum += s.words[i];
	return sum & 1;
}

char LICENSE[] SEC("license") = "GPL";
