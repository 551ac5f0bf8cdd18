// SPDX-License-Identifier: MIT OR Apache-2.0
// Misuses of the open-coded numeric iterator (kfuncs bpf_iter_num_*) that the
// kernel rejects: next on an iterator never created, a second new on an active
// iterator, an iterator leaked at exit, and one whose stack slot is overwritten.
// bpfvet-expect(iter_next_uninit): reject "expected an initialized iter_num as arg #0"
// bpfvet-expect(iter_double_new): reject "expected uninitialized iter_num as arg #0"
// bpfvet-expect(iter_leak): reject "Unreleased reference"
// bpfvet-expect(iter_overwritten): reject "expected an initialized iter_num as arg #0"
#include "bpfvet.h"

struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

SEC("raw_tracepoint/sys_enter")
int iter_next_uninit(void *ctx)
{
	struct bpf_iter_num it;
	int *v;

	v = bpf_iter_num_next(&it);
	bpf_iter_num_destroy(&it);
	return v ? 1 : 0;
}

SEC("raw_tracepoint/sys_enter")
int iter_double_new(void *ctx)
{
	struct bpf_iter_num it;

	bpf_iter_num_new(&it, 0, 4);
	bpf_iter_num_new(&it, 0, 8);
	bpf_iter_num_destroy(&it);
	return 0;
}

SEC("raw_tracepoint/sys_enter")
int iter_leak(void *ctx)
{
	struct bpf_iter_num it;
	int *v;

	bpf_iter_num_new(&it, 0, 4);
	v = bpf_iter_num_next(&it);
	return v ? *v : 0;
}

SEC("raw_tracepoint/sys_enter")
int iter_overwritten(void *ctx)
{
	struct bpf_iter_num it;
	int *v;

	bpf_iter_num_new(&it, 0, 4);
	/* a plain store over the iterator's slot destroys its state */
	*(volatile __u64 *)&it = 0;
	v = bpf_iter_num_next(&it);
	bpf_iter_num_destroy(&it);
	return v ? 1 : 0;
}

BV_GPL;
