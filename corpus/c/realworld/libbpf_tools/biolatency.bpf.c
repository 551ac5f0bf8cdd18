// SPDX-License-Identifier: MIT OR Apache-2.0
// libbpf-tools style block I/O latency histogram: kprobes on request
// issue/completion stash a start timestamp per request pointer, the
// completion computes the delta, takes log2 in a bounded loop and bumps a
// histogram slot keyed by (optionally) the disk. Tunables are
// `volatile const` .rodata knobs. Written for bpfvet.
// bpfvet-expect(blk_account_io_start): accept
// bpfvet-expect(blk_account_io_done): accept
#include "bpfvet.h"
#include "bpfvet_tracing.h"
#include <stdbool.h>

#define MAX_ENTRIES 10240
#define MAX_SLOTS 27

struct hist_key {
	__u32 dev;
	__u32 cmd_flags;
};

struct hist {
	__u32 slots[MAX_SLOTS];
};

volatile const bool targ_per_disk = false;
volatile const bool targ_per_flag = false;
volatile const bool targ_ms = false;
volatile const __u64 min_us = 0;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, __u64);
	__type(value, __u64);
} start SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_ENTRIES);
	__type(key, struct hist_key);
	__type(value, struct hist);
} hists SEC(".maps");

static struct hist initial_hist;

static __always_inline __u64 log2l(__u64 v)
{
	__u64 r = 0;
	int i;

	for (i = 0; i < 64; i++) {
		if (v <= 1)
			break;
		v >>= 1;
		r++;
	}
	return r;
}

SEC("kprobe/blk_account_io_start")
int BPF_KPROBE(blk_account_io_start, void *rq)
{
	__u64 ts = bpf_ktime_get_ns();
	__u64 key = (__u64)rq;

	bpf_map_update_elem(&start, &key, &ts, BPF_ANY);
	return 0;
}

SEC("kprobe/blk_account_io_done")
int BPF_KPROBE(blk_account_io_done, void *rq, __u64 now)
{
	struct hist_key hkey = {};
	struct hist *histp;
	__u64 key = (__u64)rq, *tsp, slot;
	__s64 delta;

	tsp = bpf_map_lookup_elem(&start, &key);
	if (!tsp)
		return 0;
	delta = (__s64)(bpf_ktime_get_ns() - *tsp);
	if (delta < 0)
		goto cleanup;
	if (min_us && (__u64)delta / 1000U < min_us)
		goto cleanup;
	if (targ_per_disk)
		hkey.dev = (__u32)(key >> 12);
	if (targ_per_flag)
		hkey.cmd_flags = (__u32)key & 0xff;

	histp = bpf_map_lookup_elem(&hists, &hkey);
	if (!histp) {
		bpf_map_update_elem(&hists, &hkey, &initial_hist, BPF_NOEXIST);
		histp = bpf_map_lookup_elem(&hists, &hkey);
		if (!histp)
			goto cleanup;
	}
	if (targ_ms)
		delta /= 1000000U;
	else
		delta /= 1000U;
	slot = log2l(delta);
	if (slot >= MAX_SLOTS)
		slot = MAX_SLOTS - 1;
	__sync_fetch_and_add(&histp->slots[slot], 1);
cleanup:
	bpf_map_delete_elem(&start, &key);
	return 0;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
