// SPDX-License-Identifier: MIT OR Apache-2.0
// cpumask kfuncs: a mask created, edited, tested and released (struct
// bpf_cpumask passed where struct cpumask is expected: its first member), and
// the kernel's refusals: the result used before its NULL check, and a mask
// leaked at exit.
// bpfvet-expect(cpumask_roundtrip): accept
// bpfvet-expect(cpumask_unchecked): reject "Possibly NULL pointer passed to trusted arg1"
// bpfvet-expect(cpumask_leak): reject "Unreleased reference"
#include "bpfvet.h"

struct bpf_cpumask {
	int __unused;
};
struct cpumask {
	int __unused;
};

extern struct bpf_cpumask *bpf_cpumask_create(void) __ksym;
extern void bpf_cpumask_release(struct bpf_cpumask *cpumask) __ksym;
extern void bpf_cpumask_set_cpu(__u32 cpu, struct bpf_cpumask *cpumask) __ksym;
extern _Bool bpf_cpumask_test_cpu(__u32 cpu, const struct cpumask *cpumask) __ksym;

SEC("syscall")
int cpumask_roundtrip(void *ctx)
{
	struct bpf_cpumask *m = bpf_cpumask_create();
	int hit;

	if (!m)
		return 0;
	bpf_cpumask_set_cpu(0, m);
	hit = bpf_cpumask_test_cpu(0, (const struct cpumask *)m);
	bpf_cpumask_release(m);
	return hit;
}

SEC("syscall")
int cpumask_unchecked(void *ctx)
{
	struct bpf_cpumask *m = bpf_cpumask_create();

	bpf_cpumask_set_cpu(0, m);
	if (m)
		bpf_cpumask_release(m);
	return 0;
}

SEC("syscall")
int cpumask_leak(void *ctx)
{
	struct bpf_cpumask *m = bpf_cpumask_create();

	if (!m)
		return 0;
	bpf_cpumask_set_cpu(1, m);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
