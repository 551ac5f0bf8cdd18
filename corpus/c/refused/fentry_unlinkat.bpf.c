// SPDX-License-Identifier: MIT OR Apache-2.0
// fentry/fexit pair on do_unlinkat (BPF trampolines, BTF-typed arguments).
// Written as accepted code; the confirming machine refuses these loads
// with EPERM before verification, so the verdict is not kernel-confirmed.
// bpfvet-expect(fentry_unlinkat): refused "fentry: bpf(BPF_PROG_LOAD) fails with EPERM and no verifier log on the confirming machine (trampoline-based types; cause not determined)"
// bpfvet-expect(fexit_unlinkat): refused "fexit: bpf(BPF_PROG_LOAD) fails with EPERM and no verifier log on the confirming machine (trampoline-based types; cause not determined)"
#include "bpfvet.h"
#include "bpfvet_tracing.h"

struct filename;

__u64 unlink_calls, unlink_failures;

SEC("fentry/do_unlinkat")
int BPF_PROG(fentry_unlinkat, int dfd, struct filename *name)
{
	__sync_fetch_and_add(&unlink_calls, 1);
	return 0;
}

SEC("fexit/do_unlinkat")
int BPF_PROG(fexit_unlinkat, int dfd, struct filename *name, long ret)
{
	if (ret)
		__sync_fetch_and_add(&unlink_failures, 1);
	return 0;
}

BV_GPL;
