// SPDX-License-Identifier: MIT OR Apache-2.0
// Every cpumask kfunc that a syscall program can run, with results the
// runtime and the kernel's BPF_PROG_TEST_RUN can compare: each program packs
// its answers into the return value (one bit per yes/no answer, a byte per
// CPU number), so one retval checks them all. The CPU counts depend on
// nr_cpu_ids (the runtime's Env::nr_cpus).
// bpfvet-expect(cpumask_bits): accept
// bpfvet-expect(cpumask_sets): accept
// bpfvet-expect(cpumask_counts): accept
#include "bpfvet.h"

struct bpf_cpumask {
	int __unused;
};
struct cpumask {
	int __unused;
};

extern struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
extern void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;
extern struct bpf_cpumask *bpf_cpumask_acquire(struct bpf_cpumask *cpumask) __ksym;
extern __u32 bpf_cpumask_first(const struct cpumask *cpumask) __ksym;
extern __u32 bpf_cpumask_first_zero(const struct cpumask *cpumask) __ksym;
extern __u32 bpf_cpumask_first_and(const struct cpumask *src1,
				   const struct cpumask *src2) __ksym;
extern void bpf_cpumask_set_cpu(__u32 cpu, struct bpf_cpumask *cpumask) __ksym;
extern void bpf_cpumask_clear_cpu(__u32 cpu, struct bpf_cpumask *cpumask) __ksym;
extern _Bool bpf_cpumask_test_cpu(__u32 cpu, const struct cpumask *cpumask) __ksym;
extern _Bool bpf_cpumask_test_and_set_cpu(__u32 cpu, struct bpf_cpumask *cpumask) __ksym;
extern _Bool bpf_cpumask_test_and_clear_cpu(__u32 cpu, struct bpf_cpumask *cpumask) __ksym;
extern void bpf_cpumask_setall(struct bpf_cpumask *cpumask) __ksym;
extern void bpf_cpumask_clear(struct bpf_cpumask *cpumask) __ksym;
extern _Bool bpf_cpumask_and(struct bpf_cpumask *dst, const struct cpumask *src1,
			     const struct cpumask *src2) __ksym;
extern void bpf_cpumask_or(struct bpf_cpumask *dst, const struct cpumask *src1,
			   const struct cpumask *src2) __ksym;
extern void bpf_cpumask_xor(struct bpf_cpumask *dst, const struct cpumask *src1,
			    const struct cpumask *src2) __ksym;
extern _Bool bpf_cpumask_equal(const struct cpumask *src1, const struct cpumask *src2) __ksym;
extern _Bool bpf_cpumask_intersects(const struct cpumask *src1,
				    const struct cpumask *src2) __ksym;
extern _Bool bpf_cpumask_subset(const struct cpumask *src1, const struct cpumask *src2) __ksym;
extern _Bool bpf_cpumask_empty(const struct cpumask *cpumask) __ksym;
extern _Bool bpf_cpumask_full(const struct cpumask *cpumask) __ksym;
extern void bpf_cpumask_copy(struct bpf_cpumask *dst, const struct cpumask *src) __ksym;
extern __u32 bpf_cpumask_any_distribute(const struct cpumask *cpumask) __ksym;
extern __u32 bpf_cpumask_any_and_distribute(const struct cpumask *src1,
					    const struct cpumask *src2) __ksym;
extern __u32 bpf_cpumask_weight(const struct cpumask *cpumask) __ksym;

#define CM(m) ((const struct cpumask *)(m))

// Single-CPU tests and edits, an invalid CPU among them: bit i of the result
// is answer i. On more than one CPU: 0x1719.
SEC("syscall")
int cpumask_bits(void *ctx)
{
	struct bpf_cpumask *a = bpf_cpumask_create();
	__u32 r = 0;

	if (!a)
		return -1;
	bpf_cpumask_set_cpu(0, a);
	bpf_cpumask_set_cpu(100000, a); /* no such CPU: nothing changes */
	r |= (__u32)bpf_cpumask_test_cpu(0, CM(a)) << 0;	 /* 1 */
	r |= (__u32)bpf_cpumask_test_cpu(100000, CM(a)) << 1; /* 0 */
	r |= (__u32)bpf_cpumask_test_and_set_cpu(1, a) << 2;	 /* 0: was clear */
	r |= (__u32)bpf_cpumask_test_and_set_cpu(1, a) << 3;	 /* 1 */
	r |= (__u32)bpf_cpumask_test_and_clear_cpu(1, a) << 4; /* 1 */
	r |= (__u32)bpf_cpumask_test_and_clear_cpu(1, a) << 5; /* 0 */
	r |= (__u32)bpf_cpumask_test_and_set_cpu(100000, a) << 6; /* 0 */
	r |= (__u32)bpf_cpumask_test_cpu(1, CM(a)) << 7;	 /* 0 */
	bpf_cpumask_clear_cpu(0, a);
	r |= (__u32)bpf_cpumask_empty(CM(a)) << 8;		 /* 1 */
	bpf_cpumask_set_cpu(1, a);
	r |= (__u32)bpf_cpumask_test_cpu(1, CM(a)) << 9;	 /* 1 */
	bpf_cpumask_clear(a);
	r |= (__u32)bpf_cpumask_empty(CM(a)) << 10;		 /* 1 */
	r |= (__u32)bpf_cpumask_full(CM(a)) << 11;		 /* 0 */
	bpf_cpumask_setall(a);
	r |= (__u32)bpf_cpumask_full(CM(a)) << 12;		 /* 1 */
	r |= (__u32)bpf_cpumask_empty(CM(a)) << 13;		 /* 0 */
	bpf_cpumask_release(a);
	return r;
}

// Two masks combined, compared and copied, with a second reference taken
// and dropped: bit i of the result is answer i. On more than one CPU: 0x1b1f.
SEC("syscall")
int cpumask_sets(void *ctx)
{
	struct bpf_cpumask *a, *b, *extra;
	__u32 r = 0;

	a = bpf_cpumask_create();
	if (!a)
		return -1;
	b = bpf_cpumask_create();
	if (!b) {
		bpf_cpumask_release(a);
		return -1;
	}
	bpf_cpumask_set_cpu(0, a);			/* a = {0} */
	bpf_cpumask_setall(b);				/* b = all */
	r |= (__u32)bpf_cpumask_subset(CM(a), CM(b)) << 0;	/* 1 */
	r |= (__u32)bpf_cpumask_intersects(CM(a), CM(b)) << 1; /* 1 */
	r |= (__u32)bpf_cpumask_and(b, CM(a), CM(b)) << 2;	/* 1: b = {0} */
	r |= (__u32)bpf_cpumask_equal(CM(a), CM(b)) << 3;	/* 1 */
	bpf_cpumask_xor(b, CM(a), CM(b));		/* b = {} */
	r |= (__u32)bpf_cpumask_empty(CM(b)) << 4;		/* 1 */
	r |= (__u32)bpf_cpumask_and(b, CM(a), CM(b)) << 5;	/* 0 */
	bpf_cpumask_set_cpu(1, b);			/* b = {1} */
	r |= (__u32)bpf_cpumask_intersects(CM(a), CM(b)) << 6; /* 0 */
	bpf_cpumask_or(b, CM(a), CM(b));		/* b = {0, 1} */
	r |= (__u32)bpf_cpumask_subset(CM(b), CM(a)) << 7;	/* 0 */
	r |= (__u32)bpf_cpumask_subset(CM(a), CM(b)) << 8;	/* 1 */
	extra = bpf_cpumask_acquire(b);
	bpf_cpumask_copy(a, CM(extra));			/* a = {0, 1} */
	bpf_cpumask_release(extra);
	r |= (__u32)bpf_cpumask_equal(CM(a), CM(b)) << 9;	/* 1 */
	bpf_cpumask_clear_cpu(0, a);			/* a = {1} */
	r |= (__u32)bpf_cpumask_equal(CM(a), CM(b)) << 10;	/* 0 */
	r |= (__u32)bpf_cpumask_test_cpu(1, CM(b)) << 11;	/* 1 */
	r |= (__u32)bpf_cpumask_and(a, CM(a), CM(b)) << 12;	/* 1: a = {1} */
	r |= (__u32)bpf_cpumask_test_cpu(0, CM(a)) << 13;	/* 0 */
	bpf_cpumask_release(a);
	bpf_cpumask_release(b);
	return r;
}

// CPU numbers: byte 0 is first({1}), byte 1 first_zero of a full mask
// (nr_cpu_ids), byte 2 weight of a full mask (nr_cpu_ids), byte 3 the sum
// of first_and({1}, {0,1}), any_distribute({1}), any_and_distribute({1},
// all) (1 each) and any_distribute({}) (nr_cpu_ids). With 2 CPUs
// 0x05020201, with 4 0x07040401.
SEC("syscall")
int cpumask_counts(void *ctx)
{
	struct bpf_cpumask *a, *b;
	__u32 r = 0, sum;

	a = bpf_cpumask_create();
	if (!a)
		return -1;
	b = bpf_cpumask_create();
	if (!b) {
		bpf_cpumask_release(a);
		return -1;
	}
	bpf_cpumask_set_cpu(1, a);
	r |= bpf_cpumask_first(CM(a)) & 0xff;
	bpf_cpumask_setall(b);
	r |= (bpf_cpumask_first_zero(CM(b)) & 0xff) << 8;
	r |= (bpf_cpumask_weight(CM(b)) & 0xff) << 16;
	sum = bpf_cpumask_first_and(CM(a), CM(b));
	sum += bpf_cpumask_any_distribute(CM(a));
	sum += bpf_cpumask_any_and_distribute(CM(a), CM(b));
	bpf_cpumask_clear(b);
	sum += bpf_cpumask_any_distribute(CM(b));
	r |= (sum & 0xff) << 24;
	bpf_cpumask_release(a);
	bpf_cpumask_release(b);
	return r;
}

char LICENSE[] SEC("license") = "GPL";
