// SPDX-License-Identifier: MIT OR Apache-2.0
// Global variables in all three sections: .rodata (const volatile config set
// by the loader before load), .data (initialised counters) and .bss (zeroed
// state), read and written directly as map values.
// bpfvet-expect(globals_update): accept
// bpfvet-expect(globals_read_config): accept
#include "bpfvet.h"

const volatile __u32 cfg_sample_rate = 4;
const volatile __u8 cfg_enabled = 1;
const char cfg_name[] = "bpfvet-globals";

__u64 packets_seen = 0;        /* .bss */
__u64 packets_sampled = 7;     /* .data */
__u32 last_len;                /* .bss */
struct {
	__u32 min_len;
	__u32 max_len;
} len_range = { .min_len = ~0U, .max_len = 0 };  /* .data */

SEC("xdp")
int globals_update(struct xdp_md *ctx)
{
	__u32 len = ctx->data_end - ctx->data;

	if (!cfg_enabled)
		return XDP_PASS;
	packets_seen++;
	last_len = len;
	if (len < len_range.min_len)
		len_range.min_len = len;
	if (len > len_range.max_len)
		len_range.max_len = len;
	if (cfg_sample_rate && packets_seen % cfg_sample_rate == 0)
		packets_sampled++;
	return XDP_PASS;
}

SEC("tracepoint/syscalls/sys_enter_getppid")
int globals_read_config(void *ctx)
{
	if (cfg_name[0] == 'b')
		bpf_printk("%s: seen=%llu sampled=%llu", cfg_name, packets_seen, packets_sampled);
	return 0;
}

BV_GPL;
