// SPDX-License-Identifier: MIT OR Apache-2.0
// Port forwarding: redirect every frame to the egress device stored in a
// DEVMAP slot chosen by ingress ifindex; fall back to XDP_PASS.
// bpfvet-expect(xdp_redirect_devmap): accept
// bpfvet-expect(xdp_redirect_cpu): accept
#include "bpfvet.h"

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(max_entries, 64);
	__type(key, __u32);
	__type(value, __u32);
} tx_ports SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, struct bpf_cpumap_val);
} cpu_map SEC(".maps");

SEC("xdp")
int xdp_redirect_devmap(struct xdp_md *ctx)
{
	__u32 slot = ctx->ingress_ifindex & 63;

	return bpf_redirect_map(&tx_ports, slot, XDP_PASS);
}

SEC("xdp")
int xdp_redirect_cpu(struct xdp_md *ctx)
{
	__u32 cpu = ctx->rx_queue_index % 8;

	return bpf_redirect_map(&cpu_map, cpu, 0);
}

BV_DUAL;
