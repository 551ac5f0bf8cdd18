// SPDX-License-Identifier: MIT OR Apache-2.0
// Open-coded iterators beyond numbers: the bits of a word (bpf_iter_bits_*,
// 16 bytes of state) and every task (bpf_iter_task_*, 24 bytes, RCU
// protected: its elements are RCU pointers), and misuses the kernel rejects.
// bpfvet-expect(bits_count): accept
// bpfvet-expect(tasks_count): accept
// bpfvet-expect(bits_leak): reject "Unreleased reference"
// bpfvet-expect(bits_next_on_num): reject "expected an initialized iter_bits as arg #0"
// bpfvet-expect(bits_half_overwritten): reject "expected an initialized iter_bits as arg #0"
#include "bpfvet.h"

struct bpf_iter_bits {
	__u64 __opaque[2];
} __attribute__((aligned(8)));
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));
struct bpf_iter_task {
	__u64 __opaque[3];
} __attribute__((aligned(8)));
struct task_struct {
	int __unused;
};

extern int bpf_iter_bits_new(struct bpf_iter_bits *it, const __u64 *unsafe_ptr__ign, __u32 nr_words) __ksym;
extern int *bpf_iter_bits_next(struct bpf_iter_bits *it) __ksym;
extern void bpf_iter_bits_destroy(struct bpf_iter_bits *it) __ksym;
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;
extern int bpf_iter_task_new(struct bpf_iter_task *it, struct task_struct *task__nullable, unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_task_next(struct bpf_iter_task *it) __ksym;
extern void bpf_iter_task_destroy(struct bpf_iter_task *it) __ksym;

SEC("syscall")
int bits_count(void *ctx)
{
	struct bpf_iter_bits it;
	__u64 word = 0xf0f0;
	int n = 0, *bit;

	bpf_iter_bits_new(&it, &word, 1);
	while ((bit = bpf_iter_bits_next(&it)))
		n += *bit & 1;
	bpf_iter_bits_destroy(&it);
	return n;
}

SEC("raw_tp/sys_enter")
int tasks_count(void *ctx)
{
	struct bpf_iter_task it;
	struct task_struct *t;
	int n = 0;

	bpf_iter_task_new(&it, 0, 0 /* BPF_TASK_ITER_ALL_PROCS */);
	while ((t = bpf_iter_task_next(&it)) && n < 1000)
		n++;
	bpf_iter_task_destroy(&it);
	return n;
}

SEC("syscall")
int bits_leak(void *ctx)
{
	struct bpf_iter_bits it;
	__u64 word = 3;
	int *bit;

	bpf_iter_bits_new(&it, &word, 1);
	bit = bpf_iter_bits_next(&it);
	return bit ? *bit : 0;
}

SEC("syscall")
int bits_next_on_num(void *ctx)
{
	struct bpf_iter_num it[2];
	int *bit;

	bpf_iter_num_new(&it[0], 0, 4);
	bpf_iter_num_new(&it[1], 0, 4);
	bit = bpf_iter_bits_next((struct bpf_iter_bits *)&it[0]);
	bpf_iter_num_destroy(&it[0]);
	bpf_iter_num_destroy(&it[1]);
	return bit ? 1 : 0;
}

SEC("syscall")
int bits_half_overwritten(void *ctx)
{
	struct bpf_iter_bits it;
	__u64 word = 3;
	int *bit;

	bpf_iter_bits_new(&it, &word, 1);
	asm volatile("" ::: "memory");
	((volatile __u64 *)&it)[1] = 0;
	bit = bpf_iter_bits_next(&it);
	bpf_iter_bits_destroy(&it);
	return bit ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
