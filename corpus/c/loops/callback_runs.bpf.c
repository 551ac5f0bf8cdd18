// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_loop runs its callback again and again, each run starting from what the
// previous one left in the context: the kernel (since 6.7) explores run after
// run until the states at the call repeat, so a fault only a later run meets is
// found, and a count known after a fixed number of runs stays exact.
// bpfvet-expect(xdp_second_run_oob): reject "invalid access to map value"
// bpfvet-expect(xdp_two_runs_exact): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u8[4]);
} cells SEC(".maps");

struct cursor {
	__u64 slot;
	__u64 next;
};

/* The first run writes cell 0 and points the cursor past the end; the
 * second run writes there. */
static int write_cell(__u32 index, void *data)
{
	struct cursor *c = data;
	__u32 zero = 0;
	__u8 *cell = bpf_map_lookup_elem(&cells, &zero);

	if (!cell)
		return 1;
	cell[c->slot] = 1;
	c->slot = c->next;
	c->next = 6;
	return 0;
}

SEC("xdp")
int xdp_second_run_oob(struct xdp_md *ctx)
{
	struct cursor c = { .slot = 0, .next = 6 };

	bpf_loop(2, write_cell, &c, 0);
	return XDP_PASS;
}

struct counter {
	__u64 n;
};

static int count_run(__u32 index, void *data)
{
	struct counter *c = data;

	c->n++;
	return 0;
}

__u8 table[3] = { 10, 20, 30 };

/* At most two runs: n is 0, 1 or 2 afterwards, inside the table. */
SEC("xdp")
int xdp_two_runs_exact(struct xdp_md *ctx)
{
	struct counter c = { .n = 0 };

	bpf_loop(2, count_run, &c, 0);
	return table[c.n] == 30 ? XDP_DROP : XDP_PASS;
}

BV_DUAL;
