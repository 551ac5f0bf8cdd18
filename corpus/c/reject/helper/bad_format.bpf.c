// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_snprintf checks its constant format string at load time: %n is not an
// accepted conversion.
// bpfvet-expect(snprintf_percent_n): reject "Invalid format string"
#include "bpfvet.h"

static const char fmt[] = "pid %d wrote %n bytes";
char out[32];

SEC("tracepoint/syscalls/sys_enter_getpid")
int snprintf_percent_n(void *ctx)
{
	__u64 args[2] = { bpf_get_current_pid_tgid() >> 32, 0 };

	bpf_snprintf(out, sizeof(out), fmt, args, sizeof(args));
	return 0;
}

BV_GPL;
