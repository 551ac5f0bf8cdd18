// SPDX-License-Identifier: MIT OR Apache-2.0
// Open-coded numeric iterator (kfuncs bpf_iter_num_new/next/destroy, kernel
// >= 6.4): a loop whose bound the verifier does not need to know.
// bpfvet-expect(iter_num_sum): accept
#include "bpfvet.h"

/* struct bpf_iter_num is 8 opaque bytes on the stack, as in the kernel */
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

__u64 iter_total;

SEC("raw_tracepoint/sys_enter")
int iter_num_sum(struct bpf_raw_tracepoint_args *ctx)
{
	struct bpf_iter_num it;
	int *v, n = (int)(ctx->args[1] & 0xff);
	__u64 sum = 0;

	bpf_iter_num_new(&it, 0, n);
	while ((v = bpf_iter_num_next(&it)))
		sum += *v;
	bpf_iter_num_destroy(&it);
	iter_total = sum;
	return 0;
}

BV_GPL;
