// SPDX-License-Identifier: MIT OR Apache-2.0
// Falco-style syscall capture entry point: raw_tracepoint/sys_enter checks
// the global capture settings (a .bss/.rodata mix the userspace driver
// fills), drops uninteresting syscalls via an interest array, then tail-calls
// the per-syscall filler from a prog array indexed by syscall id. A second
// program is one such filler: it serialises (fd, buf pointer, size) for
// write(2) into a per-CPU scratch "auxmap" and pushes it to a ring buffer.
// Written for bpfvet.
// bpfvet-expect(sys_enter_dispatch): accept
// bpfvet-expect(write_e_filler): accept
#include "bpfvet.h"
#include <linux/ptrace.h>

#define SYSCALL_TABLE_SIZE 512
#define AUXMAP_SIZE (16 * 1024)
#define MAX_PARAMS 16
#define PPME_SYSCALL_WRITE_E 12

struct capture_settings {
	__u64 boot_time;
	__u32 snaplen;
	__u8 dropping_mode;
	__u8 drop_failed;
	__u8 do_dynamic_snaplen;
	__u8 pad;
	__u32 sampling_ratio;
	__u32 scap_tid;
};

struct ppm_evt_hdr {
	__u64 ts;
	__u64 tid;
	__u32 len;
	__u16 type;
	__u32 nparams;
} __attribute__((packed));

struct auxiliary_map {
	__u8 data[AUXMAP_SIZE];
	__u64 payload_pos;
	__u8 lengths_pos;
	__u16 event_type;
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u32);
} syscall_enter_tail_table SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SYSCALL_TABLE_SIZE);
	__type(key, __u32);
	__type(value, __u8);
} interesting_syscalls SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct auxiliary_map);
} auxiliary_maps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 * 1024 * 1024);
} ringbuf_map SEC(".maps");

struct capture_settings g_settings;
__u64 g_64bit_drops;

static __always_inline int bool_filter_syscall(__u32 id)
{
	__u8 *interesting;

	if (id >= SYSCALL_TABLE_SIZE)
		return 1;
	interesting = bpf_map_lookup_elem(&interesting_syscalls, &id);
	return !interesting || !*interesting;
}

SEC("raw_tracepoint/sys_enter")
int sys_enter_dispatch(struct bpf_raw_tracepoint_args *ctx)
{
	__u32 syscall_id = (__u32)ctx->args[1];
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	if ((__u32)(pid_tgid >> 32) == g_settings.scap_tid)
		return 0;
	if (bool_filter_syscall(syscall_id))
		return 0;
	if (g_settings.sampling_ratio > 1 && (bpf_get_prandom_u32() % g_settings.sampling_ratio))
		return 0;
	bpf_tail_call(ctx, &syscall_enter_tail_table, syscall_id);
	__sync_fetch_and_add(&g_64bit_drops, 1);
	return 0;
}

static __always_inline struct auxiliary_map *auxmap__get(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&auxiliary_maps, &zero);
}

static __always_inline void auxmap__preload_event_header(struct auxiliary_map *auxmap, __u16 type,
							 __u32 nparams)
{
	struct ppm_evt_hdr *hdr = (struct ppm_evt_hdr *)auxmap->data;

	hdr->ts = g_settings.boot_time + bpf_ktime_get_boot_ns();
	hdr->tid = bpf_get_current_pid_tgid() & 0xffffffff;
	hdr->type = type;
	hdr->nparams = nparams;
	auxmap->payload_pos = sizeof(struct ppm_evt_hdr) + nparams * sizeof(__u16);
	auxmap->lengths_pos = sizeof(struct ppm_evt_hdr);
	auxmap->event_type = type;
}

static __always_inline void auxmap__store_u64_param(struct auxiliary_map *auxmap, __u64 param)
{
	__u64 pos = auxmap->payload_pos;
	__u8 lpos = auxmap->lengths_pos;

	/* keep offsets provably inside the 16 KiB scratch area */
	*((__u64 *)&auxmap->data[pos & (AUXMAP_SIZE / 2 - 1)]) = param;
	*((__u16 *)&auxmap->data[lpos & 0x7f]) = sizeof(__u64);
	auxmap->payload_pos += sizeof(__u64);
	auxmap->lengths_pos += sizeof(__u16);
}

static __always_inline void auxmap__finalize_event_header(struct auxiliary_map *auxmap)
{
	struct ppm_evt_hdr *hdr = (struct ppm_evt_hdr *)auxmap->data;

	hdr->len = auxmap->payload_pos;
}

static __always_inline void auxmap__submit_event(struct auxiliary_map *auxmap)
{
	__u64 len = auxmap->payload_pos;

	if (len > AUXMAP_SIZE / 2) {
		__sync_fetch_and_add(&g_64bit_drops, 1);
		return;
	}
	if (bpf_ringbuf_output(&ringbuf_map, auxmap->data, len & (AUXMAP_SIZE / 2 - 1), 0))
		__sync_fetch_and_add(&g_64bit_drops, 1);
}

SEC("raw_tracepoint/sys_enter")
int write_e_filler(struct bpf_raw_tracepoint_args *ctx)
{
	struct pt_regs *regs = (struct pt_regs *)ctx->args[0];
	struct auxiliary_map *auxmap = auxmap__get();
	unsigned long fd = 0, buf = 0, size = 0;

	if (!auxmap)
		return 0;
	auxmap__preload_event_header(auxmap, PPME_SYSCALL_WRITE_E, 3);
	bpf_probe_read_kernel(&fd, sizeof(fd), &regs->rdi);
	bpf_probe_read_kernel(&buf, sizeof(buf), &regs->rsi);
	bpf_probe_read_kernel(&size, sizeof(size), &regs->rdx);
	auxmap__store_u64_param(auxmap, (__s32)fd);
	auxmap__store_u64_param(auxmap, buf);
	auxmap__store_u64_param(auxmap, size);
	auxmap__finalize_event_header(auxmap);
	auxmap__submit_event(auxmap);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
