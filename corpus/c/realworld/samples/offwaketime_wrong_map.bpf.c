// SPDX-License-Identifier: MIT OR Apache-2.0
// samples/bpf offwaketime-style kprobe that records the waker's kernel stack
// id, but the map passed to bpf_get_stackid was declared as a plain HASH
// (copy-pasted from the counts map) instead of STACK_TRACE. Legacy maps,
// no -g. Written for bpfvet.
// bpfvet-cflags: -g0
// bpfvet-expect(waker): reject "cannot pass map_type 1 into func bpf_get_stackid#27"
#include "bpfvet.h"
#include "bpfvet_legacy.h"
#include "bpfvet_tracing.h"

#define PERF_MAX_STACK_DEPTH 127

struct wokeby_t {
	char name[16];
	__u32 ret;
};

struct bpf_map_def SEC("maps") wokeby = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct wokeby_t),
	.max_entries = 10000,
};

struct bpf_map_def SEC("maps") stackmap = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = PERF_MAX_STACK_DEPTH * sizeof(__u64),
	.max_entries = 10000,
};

SEC("kprobe/try_to_wake_up")
int waker(struct pt_regs *ctx)
{
	void *p = (void *)PT_REGS_PARM1(ctx);
	struct wokeby_t woke;
	__u32 pid = 0;

	bpf_probe_read_kernel(&pid, sizeof(pid), p + 0x9c0); /* task->pid */
	bpf_get_current_comm(&woke.name, sizeof(woke.name));
	woke.ret = bpf_get_stackid(ctx, &stackmap, 0);
	bpf_map_update_elem(&wokeby, &pid, &woke, BPF_ANY);
	return 0;
}

char _license[] SEC("license") = "GPL";
