// SPDX-License-Identifier: MIT OR Apache-2.0
// A program with a non-GPL-compatible license string calling a GPL-only
// helper (bpf_probe_read_kernel). The license section says "Proprietary" on
// purpose; this source file itself is MIT OR Apache-2.0 like the corpus.
// bpfvet-expect(nongpl_probe_read): reject "cannot call GPL-restricted function from non-GPL compatible program"
#include "bpfvet.h"
#include "bpfvet_tracing.h"

SEC("kprobe/do_nanosleep")
int nongpl_probe_read(struct pt_regs *ctx)
{
	__u64 val = 0;

	bpf_probe_read_kernel(&val, sizeof(val), (void *)PT_REGS_PARM1(ctx));
	return val == 0;
}

char LICENSE[] SEC("license") = "Proprietary";
