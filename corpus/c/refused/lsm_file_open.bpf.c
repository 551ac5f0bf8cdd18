// SPDX-License-Identifier: MIT OR Apache-2.0
// BPF LSM hook on file_open: deny opening files flagged O_NOATIME by
// anyone (a toy policy). Refused here before verification.
// bpfvet-expect(lsm_deny_noatime): refused "BPF LSM: bpf(BPF_PROG_LOAD) fails with EPERM and no verifier log on the confirming machine (trampoline-based types; cause not determined)"
#include "bpfvet.h"
#include "bpfvet_core.h"
#include "bpfvet_tracing.h"
#include <bpf/bpf_core_read.h>

#define O_NOATIME 01000000
#define EPERM 1

SEC("lsm/file_open")
int BPF_PROG(lsm_deny_noatime, struct file *file, int ret)
{
	if (ret)
		return ret;
	if (BPF_CORE_READ(file, f_flags) & O_NOATIME)
		return -EPERM;
	return 0;
}

BV_GPL;
