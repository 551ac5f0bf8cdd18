// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_ringbuf_submit takes only what bpf_ringbuf_reserve returned: a slice of a
// ring buffer dynptr (bpf_dynptr_data) points into the same record and holds the
// dynptr's reference, but the kernel types it plain memory and refuses it there;
// the dynptr is submitted or discarded through its own helpers.
// bpfvet-expect(ringbuf_record_submit): accept
// bpfvet-expect(ringbuf_dynptr_slice_submit): reject "R1 type=mem expected=ringbuf_mem"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

SEC("raw_tp/sys_enter")
int ringbuf_record_submit(void *ctx)
{
	__u64 *rec = bpf_ringbuf_reserve(&events, sizeof(*rec), 0);

	if (!rec)
		return 0;
	*rec = 1;
	bpf_ringbuf_submit(rec, 0);
	return 0;
}

SEC("raw_tp/sys_enter")
int ringbuf_dynptr_slice_submit(void *ctx)
{
	struct bpf_dynptr ptr;
	__u64 *rec;

	bpf_ringbuf_reserve_dynptr(&events, sizeof(*rec), 0, &ptr);
	rec = bpf_dynptr_data(&ptr, 0, sizeof(*rec));
	if (!rec)
		goto out;
	*rec = 1;
	bpf_ringbuf_submit(rec, 0);
out:
	bpf_ringbuf_discard_dynptr(&ptr, 0);
	return 0;
}

BV_GPL;
