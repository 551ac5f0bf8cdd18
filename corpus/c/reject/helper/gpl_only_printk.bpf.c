// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_trace_printk (bpf_printk) is GPL-only too: a program whose license
// string is "MIT" (not GPL-compatible for the kernel) may not call it.
// bpfvet-expect(nongpl_printk): reject "cannot call GPL-restricted function from non-GPL compatible program"
#include "bpfvet.h"

SEC("tracepoint/syscalls/sys_enter_getpid")
int nongpl_printk(void *ctx)
{
	bpf_printk("hello");
	return 0;
}

char LICENSE[] SEC("license") = "MIT";
