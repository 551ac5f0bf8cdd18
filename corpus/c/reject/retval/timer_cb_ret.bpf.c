// SPDX-License-Identifier: MIT OR Apache-2.0
// A timer's callback runs later, on its own, and must return 0: the kernel
// checks its exit as an async callback's ("At async callback return"), not as
// a bpf_loop callback's.
// bpfvet-expect(timer_cb_returns_zero): accept
// bpfvet-expect(timer_cb_returns_one): reject "At async callback return the register R0 has smin=1 smax=1 should have been in [0, 0]"
#include "bpfvet.h"

struct elem {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct elem);
} timers SEC(".maps");

static int fires_ok(void *map, int *key, struct elem *v)
{
	return 0;
}

static int fires_bad(void *map, int *key, struct elem *v)
{
	return 1;
}

SEC("tc")
int timer_cb_returns_zero(struct __sk_buff *skb)
{
	int k = 0;
	struct elem *e = bpf_map_lookup_elem(&timers, &k);

	if (!e)
		return 0;
	bpf_timer_init(&e->t, &timers, 1 /* CLOCK_MONOTONIC */);
	bpf_timer_set_callback(&e->t, fires_ok);
	return 0;
}

SEC("tc")
int timer_cb_returns_one(struct __sk_buff *skb)
{
	int k = 0;
	struct elem *e = bpf_map_lookup_elem(&timers, &k);

	if (!e)
		return 0;
	bpf_timer_init(&e->t, &timers, 1 /* CLOCK_MONOTONIC */);
	bpf_timer_set_callback(&e->t, fires_bad);
	return 0;
}

BV_GPL;
