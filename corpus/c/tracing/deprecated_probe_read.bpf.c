// SPDX-License-Identifier: MIT OR Apache-2.0
// An old-style tracer still calling bpf_probe_read(), which newer code replaces with
// bpf_probe_read_kernel()/bpf_probe_read_user(); accepted, with a deprecation warning.
// bpfvet-expect(old_style_probe_read): accept
#include "bpfvet.h"
#include "bpfvet_tracing.h"

SEC("kprobe/do_sys_openat2")
int BPF_KPROBE(old_style_probe_read, int dfd, const char *name)
{
	char prefix[8] = {};

	bpf_probe_read(prefix, sizeof(prefix), name);
	return prefix[0] == '/';
}

char LICENSE[] SEC("license") = "GPL";
