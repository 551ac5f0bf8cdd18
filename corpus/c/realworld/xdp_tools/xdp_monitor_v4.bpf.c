// SPDX-License-Identifier: MIT OR Apache-2.0
// xdp-monitor / xdp_redirect_err-style statistics from the xdp tracepoints,
// built with -mcpu=v4: tp/xdp/xdp_redirect_err and xdp_redirect_map_err
// count errors per CPU (index by smp_processor_id into an array sized by a
// .rodata nr_cpus knob), tp/xdp/xdp_exception counts per action, and
// tp/xdp/xdp_devmap_xmit accumulates sent/dropped. bpf_printk reports the
// first error when `debug` is set. Written for bpfvet.
// bpfvet-cflags: -mcpu=v4
// bpfvet-expect(trace_xdp_redirect_err): accept
// bpfvet-expect(trace_xdp_exception): accept
// bpfvet-expect(trace_xdp_devmap_xmit): accept
#include "bpfvet.h"
#include <stdbool.h>

#define MAX_CPUS 64

struct datarec {
	__u64 processed;
	__u64 dropped;
	__u64 info;
	__u64 err;
};

/* tracepoint formats (see /sys/kernel/tracing/events/xdp/<name>/format) */
struct xdp_redirect_ctx {
	__u64 __pad;
	int prog_id;
	__u32 act;
	int ifindex;
	int err;
	int to_ifindex;
	__u32 map_id;
	int map_index;
};

struct xdp_exception_ctx {
	__u64 __pad;
	int prog_id;
	__u32 act;
	int ifindex;
};

struct devmap_xmit_ctx {
	__u64 __pad;
	int from_ifindex;
	__u32 act;
	int to_ifindex;
	int drops;
	int sent;
	int err;
};

volatile const __u32 nr_cpus = MAX_CPUS;
volatile const bool debug = false;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MAX_CPUS * 2);
	__type(key, __u32);
	__type(value, struct datarec);
} redir_err_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, XDP_REDIRECT + 1);
	__type(key, __u32);
	__type(value, struct datarec);
} exception_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct datarec);
} devmap_xmit_cnt SEC(".maps");

SEC("tp/xdp/xdp_redirect_err")
int trace_xdp_redirect_err(struct xdp_redirect_ctx *ctx)
{
	__u32 cpu = bpf_get_smp_processor_id();
	__s32 err = ctx->err;
	struct datarec *rec;
	__u32 idx;

	if (cpu >= nr_cpus || cpu >= MAX_CPUS)
		return 0;
	/* ENETDOWN/EINVAL in slot 0, everything else in slot 1 */
	idx = cpu * 2 + (err == -100 || err == -22 ? 0 : 1);
	rec = bpf_map_lookup_elem(&redir_err_cnt, &idx);
	if (!rec)
		return 0;
	if (!rec->err && debug)
		bpf_printk("redirect err %d ifindex %d", err, ctx->ifindex);
	__sync_fetch_and_add(&rec->err, 1);
	return 0;
}

SEC("tp/xdp/xdp_exception")
int trace_xdp_exception(struct xdp_exception_ctx *ctx)
{
	__u32 key = ctx->act;
	struct datarec *rec;

	if (key > XDP_REDIRECT)
		key = XDP_REDIRECT + 1 - 1;
	rec = bpf_map_lookup_elem(&exception_cnt, &key);
	if (!rec)
		return 0;
	rec->dropped++;
	return 0;
}

SEC("tp/xdp/xdp_devmap_xmit")
int trace_xdp_devmap_xmit(struct devmap_xmit_ctx *ctx)
{
	__u32 zero = 0;
	struct datarec *rec = bpf_map_lookup_elem(&devmap_xmit_cnt, &zero);
	__s64 sent = ctx->sent, drops = ctx->drops;

	if (!rec)
		return 0;
	rec->processed += sent;
	rec->dropped += drops;
	rec->info += 1;
	if (ctx->err || drops < 0)
		rec->err++;
	return 0;
}

char _license[] SEC("license") = "GPL";
