// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_copy_from_user may fault and sleep: only sleepable programs may call
// it, and a plain kprobe is not sleepable.
// bpfvet-expect(kprobe_copy_from_user): reject "helper call might sleep in a non-sleepable prog"
#include "bpfvet.h"
#include "bpfvet_tracing.h"

SEC("kprobe/do_sys_openat2")
int kprobe_copy_from_user(struct pt_regs *ctx)
{
	char path[32];

	bpf_copy_from_user(path, sizeof(path), (void *)PT_REGS_PARM2(ctx));
	return path[0] == '/';
}

BV_GPL;
