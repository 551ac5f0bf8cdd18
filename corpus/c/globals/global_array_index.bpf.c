// SPDX-License-Identifier: MIT OR Apache-2.0
// A global array in .bss indexed by a runtime value: the bounds check makes
// the variable-offset access into the .bss map value provably in range.
// bpfvet-expect(global_hist): accept
#include "bpfvet.h"

#define NBUCKETS 32

__u64 hist[NBUCKETS];
const volatile __u32 bucket_shift = 6;

SEC("xdp")
int global_hist(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;
	__u32 b = len >> bucket_shift;

	if (b >= NBUCKETS)
		b = NBUCKETS - 1;
	__sync_fetch_and_add(&hist[b], 1);
	return XDP_PASS;
}

BV_DUAL;
