// SPDX-License-Identifier: MIT OR Apache-2.0
// bashreadline-style uprobes: uretprobe on readline() copies the returned user
// string; a uprobe counts calls. Attach targets are given at attach time.
// bpfvet-expect(readline_entry): accept
// bpfvet-expect(readline_return): accept
#include "bpfvet.h"
#include "bpfvet_tracing.h"

struct line_event {
	__u32 pid;
	char line[80];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 64 * 1024);
} lines SEC(".maps");

__u64 readline_calls = 0;

SEC("uprobe")
int BPF_KPROBE(readline_entry)
{
	__sync_fetch_and_add(&readline_calls, 1);
	return 0;
}

SEC("uretprobe")
int BPF_KRETPROBE(readline_return, const char *ret)
{
	struct line_event *e;

	if (!ret)
		return 0;
	e = bpf_ringbuf_reserve(&lines, sizeof(*e), 0);
	if (!e)
		return 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	if (bpf_probe_read_user_str(e->line, sizeof(e->line), ret) < 0) {
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	bpf_ringbuf_submit(e, 0);
	return 0;
}

BV_GPL;
