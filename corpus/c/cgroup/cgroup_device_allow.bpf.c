// SPDX-License-Identifier: MIT OR Apache-2.0
// Device cgroup policy (the container-runtime kind): allow /dev/null, zero,
// full, random, urandom, tty and ptys; deny everything else and mknod.
// bpfvet-expect(device_allowlist): accept
#include "bpfvet.h"

SEC("cgroup/dev")
int device_allowlist(struct bpf_cgroup_dev_ctx *ctx)
{
	__u32 type = ctx->access_type & 0xffff;
	__u32 access = ctx->access_type >> 16;

	if (access & BPF_DEVCG_ACC_MKNOD)
		return 0;
	if (type != BPF_DEVCG_DEV_CHAR)
		return 0;
	switch (ctx->major) {
	case 1:
		return ctx->minor == 3 || ctx->minor == 5 || ctx->minor == 7 ||
		       ctx->minor == 8 || ctx->minor == 9;
	case 5:
		return ctx->minor <= 2;
	case 136:
		return 1;
	}
	return 0;
}

BV_DUAL;
