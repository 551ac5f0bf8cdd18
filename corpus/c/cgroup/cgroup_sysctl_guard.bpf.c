// SPDX-License-Identifier: MIT OR Apache-2.0
// Allow reads of every sysctl but writes only to net/ipv4/tcp_* entries whose
// new value parses as an integer below 65536 (bpf_sysctl_get_name,
// bpf_sysctl_get_new_value, bpf_strtoul).
// bpfvet-expect(sysctl_guard): accept
#include "bpfvet.h"

static const char prefix[] = "net/ipv4/tcp_";

SEC("cgroup/sysctl")
int sysctl_guard(struct bpf_sysctl *ctx)
{
	char name[64] = {};
	char val[16] = {};
	unsigned long num = 0;
	int i;

	if (!ctx->write)
		return 1;
	if (bpf_sysctl_get_name(ctx, name, sizeof(name), 0) < 0)
		return 0;
	for (i = 0; i < sizeof(prefix) - 1; i++)
		if (name[i] != prefix[i])
			return 0;
	if (bpf_sysctl_get_new_value(ctx, val, sizeof(val)) < 0)
		return 0;
	if (bpf_strtoul(val, sizeof(val), 0, &num) < 0)
		return 0;
	return num < 65536;
}

BV_DUAL;
