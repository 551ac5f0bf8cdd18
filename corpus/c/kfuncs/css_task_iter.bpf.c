// SPDX-License-Identifier: MIT OR Apache-2.0
// The css_task iterator walks a cgroup's tasks under a lock that may sleep, so
// the kernel offers it only to LSM programs, BPF iterators and sleepable
// programs: a raw tracepoint (not sleepable) is refused at the iterator's
// creation, before its other arguments are looked at.
// bpfvet-expect(css_task_iter_raw_tp): reject "css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable progs"
#include "bpfvet.h"

struct bpf_iter_css_task {
	__u64 __opaque[1];
} __attribute__((aligned(8)));
struct cgroup_subsys_state {
	int __unused;
};
struct task_struct {
	int __unused;
};

extern int bpf_iter_css_task_new(struct bpf_iter_css_task *it, struct cgroup_subsys_state *css, unsigned int flags) __ksym;
extern struct task_struct *bpf_iter_css_task_next(struct bpf_iter_css_task *it) __ksym;
extern void bpf_iter_css_task_destroy(struct bpf_iter_css_task *it) __ksym;

SEC("raw_tp/sys_enter")
int css_task_iter_raw_tp(void *ctx)
{
	struct bpf_iter_css_task it;
	int n = 0;

	bpf_iter_css_task_new(&it, (struct cgroup_subsys_state *)0, 0);
	if (bpf_iter_css_task_next(&it))
		n++;
	bpf_iter_css_task_destroy(&it);
	return n;
}

char _license[] SEC("license") = "GPL";
