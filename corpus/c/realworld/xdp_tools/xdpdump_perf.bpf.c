// SPDX-License-Identifier: MIT OR Apache-2.0
// xdpdump-style packet capture: an XDP program (meant to be attached as
// freplace/fentry in the real tool, here as plain XDP) copies the first
// `snaplen` bytes of each packet to user space through a perf event array:
// the payload length goes in the upper 32 bits of the flags so the kernel
// copies the packet data after the metadata record. Written for bpfvet.
// bpfvet-expect(xdpdump): accept
#include "bpfvet.h"

#define MAX_CPUS 256
#define SNAPLEN_MAX 0xffff

struct pkt_trace_metadata {
	__u32 ifindex;
	__u32 rx_queue;
	__u16 pkt_len;
	__u16 cap_len;
	__u16 flags;
	__u16 prog_index;
	int action;
} __attribute__((packed));

struct trace_configuration {
	__u32 capture_if_ifindex;
	__u32 capture_snaplen;
	__u32 capture_prog_index;
};

volatile const struct trace_configuration trace_cfg = {
	.capture_if_ifindex = 0,
	.capture_snaplen = 262,
	.capture_prog_index = 0,
};

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, MAX_CPUS);
	__type(key, int);
	__type(value, __u32);
} xdpdump_perf_map SEC(".maps");

SEC("xdp")
int xdpdump(struct xdp_md *xdp)
{
	void *data_end = (void *)(long)xdp->data_end;
	void *data = (void *)(long)xdp->data;
	struct pkt_trace_metadata metadata;

	if (data >= data_end || trace_cfg.capture_if_ifindex != xdp->ingress_ifindex)
		return XDP_PASS;
	metadata.prog_index = trace_cfg.capture_prog_index;
	metadata.ifindex = xdp->ingress_ifindex;
	metadata.rx_queue = xdp->rx_queue_index;
	metadata.pkt_len = (__u16)(data_end - data);
	metadata.cap_len = metadata.pkt_len < trace_cfg.capture_snaplen ? metadata.pkt_len
									  : trace_cfg.capture_snaplen;
	metadata.action = XDP_PASS;
	metadata.flags = 0;
	bpf_perf_event_output(xdp, &xdpdump_perf_map,
			      ((__u64)metadata.cap_len << 32) | BPF_F_CURRENT_CPU,
			      &metadata, sizeof(metadata));
	return XDP_PASS;
}

char _license[] SEC("license") = "GPL";
