// SPDX-License-Identifier: MIT OR Apache-2.0
// bpf_get_current_comm asked to write 16 bytes into an 8-byte stack buffer:
// the size argument does not match the memory region.
// bpfvet-expect(comm_into_small_buf): reject "invalid write to stack R1 off=-8 size=16"
#include "bpfvet.h"

__u64 first_bytes;

SEC("tracepoint/sched/sched_process_exec")
int comm_into_small_buf(void *ctx)
{
	char buf[8];

	bpf_get_current_comm(buf, 16);
	__builtin_memcpy(&first_bytes, buf, 8);
	return 0;
}

BV_GPL;
