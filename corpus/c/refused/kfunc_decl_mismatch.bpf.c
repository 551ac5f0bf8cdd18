// SPDX-License-Identifier: MIT OR Apache-2.0
// A kfunc declared with a forward-declared struct where the kernel's prototype
// has a full struct: libbpf compares the two prototypes (kind by kind) while
// resolving the extern and refuses the object before the kernel sees it, even
// though the program itself would verify.
// bpfvet-expect(key_put_fwd_decl): refused "libbpf: extern (func ksym) 'bpf_key_put': func_proto [N] incompatible with vmlinux [M]"
#include "bpfvet.h"

struct bpf_key;

extern struct bpf_key *bpf_lookup_system_key(__u64 id) __ksym;
extern void bpf_key_put(struct bpf_key *bkey) __ksym;

SEC("tp_btf/sched_switch")
int key_put_fwd_decl(void *ctx)
{
	struct bpf_key *k = bpf_lookup_system_key(0);

	if (k)
		bpf_key_put(k);
	return 0;
}

char _license[] SEC("license") = "GPL";
