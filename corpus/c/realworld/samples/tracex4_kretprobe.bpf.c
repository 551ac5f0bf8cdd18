// SPDX-License-Identifier: MIT OR Apache-2.0
// samples/bpf-style slab object tracker: the kretprobe on kmem_cache_alloc
// records (allocation time, caller ip) for the returned pointer; the kprobe
// on kmem_cache_free removes it. Old-style SEC("maps") and PT_REGS macros
// over the UAPI pt_regs; built without -g. Written for bpfvet.
// bpfvet-cflags: -g0
// bpfvet-expect(bpf_prog1): accept
// bpfvet-expect(bpf_prog2): accept
#include "bpfvet.h"
#include "bpfvet_legacy.h"
#include "bpfvet_tracing.h"

struct pair {
	__u64 val;
	__u64 ip;
};

struct bpf_map_def SEC("maps") my_map = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(long),
	.value_size = sizeof(struct pair),
	.max_entries = 1000000,
};

SEC("kprobe/kmem_cache_free")
int bpf_prog1(struct pt_regs *ctx)
{
	long ptr = PT_REGS_PARM2(ctx);

	bpf_map_delete_elem(&my_map, &ptr);
	return 0;
}

SEC("kretprobe/kmem_cache_alloc_noprof")
int bpf_prog2(struct pt_regs *ctx)
{
	long ptr = PT_REGS_RC(ctx);
	long ip = 0;
	struct pair v;

	/* the return address of the caller sits at the top of the stack */
	bpf_probe_read_kernel(&ip, sizeof(ip), (void *)(PT_REGS_SP(ctx) - 8));
	v.val = bpf_ktime_get_ns();
	v.ip = ip;
	bpf_map_update_elem(&my_map, &ptr, &v, BPF_ANY);
	return 0;
}

char _license[] SEC("license") = "GPL";
