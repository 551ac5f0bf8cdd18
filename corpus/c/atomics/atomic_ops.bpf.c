// SPDX-License-Identifier: MIT OR Apache-2.0
// BPF atomic instructions (cpu v3): fetch-and-add/or/and/xor with and
// without using the result, compare-and-swap and exchange, on map values and
// on globals, in 64 and 32 bits.
// bpfvet-cflags: -mcpu=v3
// bpfvet-expect(atomics_fetch): accept
// bpfvet-expect(atomics_cmpxchg): accept
// bpfvet-expect(atomics_32bit): accept
#include "bpfvet.h"

struct counters {
	__u64 add;
	__u64 flags;
	__u64 owner;
	__u32 small;
	__u32 small_flags;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct counters);
} atom SEC(".maps");

__u64 g_prev;
__u64 g_lock;

SEC("raw_tracepoint/sys_enter")
int atomics_fetch(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&atom, &zero);
	__u64 prev;

	if (!c)
		return 0;
	__sync_fetch_and_add(&c->add, 1);           /* BPF_ADD, result unused */
	prev = __sync_fetch_and_add(&c->add, 10);   /* BPF_ADD | BPF_FETCH */
	__sync_fetch_and_or(&c->flags, 1ULL << (prev & 63));
	prev ^= __sync_fetch_and_and(&c->flags, ~2ULL);
	prev += __sync_fetch_and_xor(&c->flags, 4);
	g_prev = prev;
	return 0;
}

SEC("raw_tracepoint/sys_exit")
int atomics_cmpxchg(void *ctx)
{
	__u32 zero = 0;
	struct counters *c = bpf_map_lookup_elem(&atom, &zero);
	__u64 me = bpf_get_current_pid_tgid();

	if (!c)
		return 0;
	if (__sync_val_compare_and_swap(&c->owner, 0, me) == 0)
		g_prev = __sync_lock_test_and_set(&g_lock, me);  /* BPF_XCHG */
	__sync_bool_compare_and_swap(&g_lock, me, 0);
	return 0;
}

SEC("xdp")
int atomics_32bit(struct xdp_md *ctx)
{
	__u32 zero = 0, old;
	struct counters *c = bpf_map_lookup_elem(&atom, &zero);

	if (!c)
		return XDP_PASS;
	old = __sync_fetch_and_add(&c->small, 1);
	__sync_fetch_and_or(&c->small_flags, old & 0xf0);
	__sync_val_compare_and_swap(&c->small, 1000, 0);
	return XDP_PASS;
}

BV_DUAL;
