// SPDX-License-Identifier: MIT OR Apache-2.0
// Dynptrs: local ones over program memory, ring buffer records that must be
// submitted or discarded, and packet ones with their slices; and the ways the
// kernel refuses them: a record leaked at exit or overwritten on the stack, a
// dynptr used before it is created, of the wrong kind, or over stack memory,
// its bytes read as plain stack, a slice used unchecked, past its size, or
// after the dynptr (or the packet under it) changed; and writable slices, which
// the 6.18 kernel checked here refuses outright.
// bpfvet-expect(local_read_write): accept
// bpfvet-expect(ringbuf_record_submit): accept
// bpfvet-expect(xdp_slice_read): accept
// bpfvet-expect(ringbuf_record_leak): reject "Unreleased reference"
// bpfvet-expect(ringbuf_record_overwrite): reject "cannot overwrite referenced dynptr"
// bpfvet-expect(dynptr_never_created): reject "Expected an initialized dynptr as arg #2"
// bpfvet-expect(discard_local_dynptr): reject "arg 1 is an unacquired reference"
// bpfvet-expect(dynptr_bytes_read): reject "invalid read from stack"
// bpfvet-expect(xdp_slice_rdwr_write): reject "bpf_dynptr_slice_rdwr() is not allowed"
// bpfvet-expect(stack_memory_dynptr): reject "Unsupported reg type fp for bpf_dynptr_from_mem data"
// bpfvet-expect(xdp_slice_unchecked): reject "invalid mem access 'rdonly_mem_or_null'"
// bpfvet-expect(xdp_slice_past_end): reject "invalid access to memory, mem_size=8 off=8 size=1"
// bpfvet-expect(clone_slice_after_discard): reject "invalid mem access 'scalar'"
// bpfvet-expect(global_takes_dynptr): accept
// bpfvet-expect(global_gets_no_dynptr): reject "Expected an initialized dynptr as arg #0"
// bpfvet-expect(slice_after_overwrite): reject "invalid mem access 'scalar'"
// bpfvet-expect(skb_slice_after_pull): reject "invalid mem access 'scalar'"
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} events SEC(".maps");

struct blob {
	char bytes[16];
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct blob);
} blobs SEC(".maps");

static __always_inline struct blob *blob0(void)
{
	__u32 key = 0;

	return bpf_map_lookup_elem(&blobs, &key);
}

extern int bpf_dynptr_from_xdp(struct xdp_md *x, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern int bpf_dynptr_from_skb(struct __sk_buff *s, __u64 flags, struct bpf_dynptr *ptr__uninit) __ksym;
extern void *bpf_dynptr_slice(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;
extern void *bpf_dynptr_slice_rdwr(const struct bpf_dynptr *p, __u32 offset, void *buffer__opt, __u32 buffer__szk) __ksym;

SEC("raw_tp/sys_enter")
int local_read_write(void *ctx)
{
	struct blob *b = blob0();
	struct bpf_dynptr d;
	__u64 out = 0;
	__u32 *p;

	if (!b)
		return 0;
	bpf_dynptr_from_mem(b, sizeof(*b), 0, &d);
	bpf_dynptr_write(&d, 0, &out, sizeof(out), 0);
	bpf_dynptr_read(&out, sizeof(out), &d, 8, 0);
	p = bpf_dynptr_data(&d, 0, 4);
	if (!p)
		return 0;
	return *p + (int)out;
}

SEC("raw_tp/sys_enter")
int ringbuf_record_submit(void *ctx)
{
	struct bpf_dynptr d;
	__u64 *rec;

	bpf_ringbuf_reserve_dynptr(&events, 16, 0, &d);
	rec = bpf_dynptr_data(&d, 0, 8);
	if (rec)
		*rec = 42;
	bpf_ringbuf_submit_dynptr(&d, 0);
	return 0;
}

SEC("xdp")
int xdp_slice_read(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[8];
	__u8 *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_DROP;
	return p[7] ? XDP_PASS : XDP_DROP;
}

SEC("xdp")
int xdp_slice_rdwr_write(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[8];
	__u8 *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice_rdwr(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_DROP;
	p[0] = 1;
	return XDP_PASS;
}

SEC("raw_tp/sys_enter")
int ringbuf_record_leak(void *ctx)
{
	struct bpf_dynptr d;

	bpf_ringbuf_reserve_dynptr(&events, 16, 0, &d);
	return 0;
}

SEC("raw_tp/sys_enter")
int ringbuf_record_overwrite(void *ctx)
{
	struct bpf_dynptr d;

	bpf_ringbuf_reserve_dynptr(&events, 16, 0, &d);
	*(volatile __u64 *)&d = 0;
	bpf_ringbuf_discard_dynptr(&d, 0);
	return 0;
}

SEC("raw_tp/sys_enter")
int dynptr_never_created(void *ctx)
{
	struct bpf_dynptr d;
	__u64 out;

	return bpf_dynptr_read(&out, sizeof(out), &d, 0, 0);
}

SEC("raw_tp/sys_enter")
int discard_local_dynptr(void *ctx)
{
	struct blob *b = blob0();
	struct bpf_dynptr d;

	if (!b)
		return 0;
	bpf_dynptr_from_mem(b, sizeof(*b), 0, &d);
	bpf_ringbuf_discard_dynptr(&d, 0);
	return 0;
}

SEC("raw_tp/sys_enter")
int dynptr_bytes_read(void *ctx)
{
	struct blob *b = blob0();
	struct bpf_dynptr d;

	if (!b)
		return 0;
	bpf_dynptr_from_mem(b, sizeof(*b), 0, &d);
	return *(volatile __u32 *)&d;
}

SEC("xdp")
int xdp_slice_unchecked(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[8];
	__u8 *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	return p[0];
}

SEC("xdp")
int xdp_slice_past_end(struct xdp_md *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[8];
	__u8 *p;

	bpf_dynptr_from_xdp(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return XDP_DROP;
	return ((volatile __u8 *)p)[8];
}

SEC("raw_tp/sys_enter")
int slice_after_overwrite(void *ctx)
{
	struct blob *b = blob0();
	struct bpf_dynptr d;
	__u32 *p;

	if (!b)
		return 0;
	bpf_dynptr_from_mem(b, sizeof(*b), 0, &d);
	p = bpf_dynptr_data(&d, 0, 4);
	if (!p)
		return 0;
	*(volatile __u64 *)&d = 0;
	return *p;
}

SEC("tc")
int skb_slice_after_pull(struct __sk_buff *ctx)
{
	struct bpf_dynptr d;
	__u8 buf[8];
	__u8 *p;

	bpf_dynptr_from_skb(ctx, 0, &d);
	p = bpf_dynptr_slice(&d, 0, buf, sizeof(buf));
	if (!p)
		return 0;
	bpf_skb_pull_data(ctx, 0);
	return p[0];
}

SEC("raw_tp/sys_enter")
int stack_memory_dynptr(void *ctx)
{
	struct bpf_dynptr d;
	char buf[16] = {};

	bpf_dynptr_from_mem(buf, sizeof(buf), 0, &d);
	return 0;
}

extern int bpf_dynptr_clone(const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit) __ksym;

/* A clone shares the record's reference: discarding the original kills the
 * clone's slices too. */
SEC("raw_tp/sys_enter")
int clone_slice_after_discard(void *ctx)
{
	struct bpf_dynptr d, c;
	__u64 *p;

	bpf_ringbuf_reserve_dynptr(&events, 16, 0, &d);
	bpf_dynptr_clone(&d, &c);
	p = bpf_dynptr_data(&c, 0, 8);
	if (!p) {
		bpf_ringbuf_discard_dynptr(&d, 0);
		return 0;
	}
	bpf_ringbuf_discard_dynptr(&d, 0);
	return *p;
}

__attribute__((noinline)) int dynptr_first_byte(struct bpf_dynptr *d)
{
	__u8 *p = bpf_dynptr_data(d, 0, 1);

	return p ? *p : 0;
}

SEC("raw_tp/sys_enter")
int global_takes_dynptr(void *ctx)
{
	struct blob *b = blob0();
	struct bpf_dynptr d;

	if (!b)
		return 0;
	bpf_dynptr_from_mem(b, sizeof(*b), 0, &d);
	return dynptr_first_byte(&d);
}

SEC("raw_tp/sys_enter")
int global_gets_no_dynptr(void *ctx)
{
	struct bpf_dynptr d;

	return dynptr_first_byte(&d);
}

char _license[] SEC("license") = "GPL";
