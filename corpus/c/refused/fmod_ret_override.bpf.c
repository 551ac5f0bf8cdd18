// SPDX-License-Identifier: MIT OR Apache-2.0
// fmod_ret on the error-injection test hook: override the return value.
// Refused here before verification.
// bpfvet-expect(fmod_ret_override): refused "fmod_ret: bpf(BPF_PROG_LOAD) fails with EPERM and no verifier log on the confirming machine (trampoline-based types; cause not determined)"
#include "bpfvet.h"
#include "bpfvet_tracing.h"

SEC("fmod_ret/bpf_modify_return_test")
int BPF_PROG(fmod_ret_override, int a, int *b, int ret)
{
	return ret ? ret : 42;
}

BV_GPL;
