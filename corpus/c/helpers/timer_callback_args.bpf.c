// SPDX-License-Identifier: MIT OR Apache-2.0
// A bpf_timer's callback runs with the timer's map, key and value in r1-r3
// (and may re-arm its own timer); the kernel checks the callback's accesses to
// the value against the value's size.
// bpfvet-expect(timer_callback_uses_value): accept
// bpfvet-expect(timer_callback_past_value): reject "R3 min value is outside of the allowed memory range"
#include "bpfvet.h"

#define CLOCK_MONOTONIC 1

struct elem {
	struct bpf_timer t;
	__u64 fired;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct elem);
} timers SEC(".maps");

static int count_and_rearm(void *map, int *key, struct elem *e)
{
	e->fired += *key + 1;
	bpf_timer_start(&e->t, 1000, 0);
	return 0;
}

static int read_past_value(void *map, int *key, struct elem *e)
{
	e->fired = *(volatile __u64 *)((char *)e + 64);
	return 0;
}

SEC("syscall")
int timer_callback_uses_value(void *ctx)
{
	int key = 0;
	struct elem *e = bpf_map_lookup_elem(&timers, &key);

	if (!e)
		return 0;
	bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&e->t, count_and_rearm);
	bpf_timer_start(&e->t, 0, 0);
	return 0;
}

SEC("syscall")
int timer_callback_past_value(void *ctx)
{
	int key = 0;
	struct elem *e = bpf_map_lookup_elem(&timers, &key);

	if (!e)
		return 0;
	bpf_timer_init(&e->t, &timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&e->t, read_past_value);
	return 0;
}

BV_GPL;
