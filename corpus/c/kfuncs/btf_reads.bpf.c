// SPDX-License-Identifier: MIT OR Apache-2.0
// Reads through kernel objects typed by BTF: a task's pointer member read whole,
// an XDP program's kernel context (bpf_cast_to_kern_ctx gives struct xdp_buff)
// walked to its receive queue. The kernel's refusals: half of a pointer member,
// the padding after task_struct.wakee_flips, a read running past a member's end,
// a read past the end of struct xdp_buff, a walked (untrusted) task given to a
// helper as memory, and a trusted task given as memory the helper writes.
// (Offsets are task_struct's and xdp_buff's in the 6.18 kernel this corpus is
// confirmed on; another build may lay them out differently.)
// bpfvet-expect(ptr_member_whole): accept
// bpfvet-expect(kern_ctx_walk): accept
// bpfvet-expect(ptr_member_half): reject "cannot access ptr member last_wakee with moff 88 in struct task_struct with off 92 size 4"
// bpfvet-expect(padding_read): reject "struct task_struct doesn't have field at offset 76"
// bpfvet-expect(member_overrun): reject "access beyond the end of member wakee_flip_decay_ts (mend:88) in struct task_struct with off 84 size 8"
// bpfvet-expect(kern_ctx_overrun): reject "access beyond struct xdp_buff at off 56 size 8"
// bpfvet-expect(walked_task_as_memory): reject "expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_"
// bpfvet-expect(trusted_task_written): reject "bpf_probe_read_kernel() may write into memory pointed by R1 type=trusted_ptr_"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct task_struct {
	struct task_struct *last_wakee;
} __attribute__((preserve_access_index));

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/* tp_btf/sched_switch: ctx[1] is the trusted `prev` task. */
#define TASK_READ(name, insn)                                                  \
	SEC("tp_btf/sched_switch") __attribute__((naked)) int name(void *ctx)  \
	{                                                                      \
		asm volatile("r1 = *(u64 *)(r1 + 8);" insn "r0 = 0; exit;");  \
	}

TASK_READ(ptr_member_whole, "r2 = *(u64 *)(r1 + 88);")
TASK_READ(ptr_member_half, "w2 = *(u32 *)(r1 + 92);")
TASK_READ(padding_read, "w2 = *(u32 *)(r1 + 76);")
TASK_READ(member_overrun, "r2 = *(u64 *)(r1 + 84);")

/* xdp_buff: rxq at 32 (a struct xdp_rxq_info *), 56 bytes in all. */
SEC("xdp")
int kern_ctx_walk(struct xdp_md *ctx)
{
	char *k = bpf_cast_to_kern_ctx(ctx);
	char *rxq = *(char *volatile *)(k + 32);

	return *(volatile long *)rxq != 0 ? 2 : 1;
}

SEC("xdp")
int kern_ctx_overrun(struct xdp_md *ctx)
{
	char *k = bpf_cast_to_kern_ctx(ctx);

	return *(volatile long *)(k + 56) != 0 ? 2 : 1;
}

SEC("tp_btf/sched_switch")
int walked_task_as_memory(unsigned long long *ctx)
{
	struct task_struct *prev = (void *)ctx[1];

	bpf_ringbuf_output(&events, prev->last_wakee, 8, 0);
	return 0;
}

SEC("tp_btf/sched_switch")
int trusted_task_written(unsigned long long *ctx)
{
	struct task_struct *prev = (void *)ctx[1];

	bpf_probe_read_kernel(prev, 8, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
