// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_printk in several shapes: a plain string, up to three arguments
// (bpf_trace_printk), more than three (bpf_trace_vprintk via the macro),
// and a string read from .rodata.
// bpfvet-expect(printk_tp): accept
// bpfvet-expect(printk_xdp): accept
#include "bpfvet.h"

static const char greeting[] = "bpfvet says hi";

SEC("tracepoint/syscalls/sys_enter_getpid")
int printk_tp(void *ctx)
{
	__u64 id = bpf_get_current_pid_tgid();

	bpf_printk("getpid");
	bpf_printk("tgid=%d tid=%d", id >> 32, (__u32)id);
	bpf_printk("%s: a=%d b=%d c=%d d=%d", greeting, 1, 2, 3, 4);
	return 0;
}

SEC("xdp")
int printk_xdp(struct xdp_md *ctx)
{
	bpf_printk("xdp len=%u queue=%u", ctx->data_end - ctx->data, ctx->rx_queue_index);
	return XDP_PASS;
}

BV_GPL;
