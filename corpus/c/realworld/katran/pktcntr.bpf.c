// SPDX-License-Identifier: MIT OR Apache-2.0
// Katran-style packet counter: a control array switches counting on/off,
// a per-CPU array holds the counter. Built with -mcpu=v2 (no 32-bit
// sub-registers, no JMP32) as older toolchains did. Written for bpfvet.
// bpfvet-cflags: -mcpu=v2
// bpfvet-expect(pktcntr): accept
#include "bpfvet.h"

#define CTL_MAP_SIZE 16
#define CNTRS_ARRAY_SIZE 512

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, CTL_MAP_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} ctl_array SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNTRS_ARRAY_SIZE);
	__type(key, __u32);
	__type(value, __u64);
} cntrs_array SEC(".maps");

SEC("xdp")
int pktcntr(struct xdp_md *ctx)
{
	void *data_end = (void *)(long)ctx->data_end;
	void *data = (void *)(long)ctx->data;
	__u32 ctl_flag_pos = 0;
	__u32 cntr_pos = 0;
	__u32 *flag = bpf_map_lookup_elem(&ctl_array, &ctl_flag_pos);

	if (!flag || (*flag == 0))
		return XDP_PASS;

	__u64 *cntr_val = bpf_map_lookup_elem(&cntrs_array, &cntr_pos);
	if (cntr_val)
		*cntr_val += 1;
	/* second counter: bytes, at index 1 */
	cntr_pos = 1;
	cntr_val = bpf_map_lookup_elem(&cntrs_array, &cntr_pos);
	if (cntr_val)
		*cntr_val += (__u64)(data_end - data);
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
