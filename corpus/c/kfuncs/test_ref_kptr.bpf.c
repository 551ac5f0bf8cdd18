// SPDX-License-Identifier: MIT OR Apache-2.0
// A referenced kernel object kept in a map value (a `__kptr` of the test-run
// type `struct prog_test_ref_kfunc`, whose destructor kfunc stays in vmlinux):
// taken out with bpf_kptr_xchg, it is a reference the program owns and must
// release with bpf_kfunc_call_test_release on every path. The kfunc set is
// registered for tc, the tracing hook and syscall programs only.
// bpfvet-expect(take_and_release_tc): accept
// bpfvet-expect(take_and_release_syscall): accept
// bpfvet-expect(take_and_release_xdp): reject "calling kernel function bpf_kfunc_call_test_release is not allowed"
// bpfvet-expect(take_and_leak): reject "BPF_EXIT instruction in main prog would lead to reference leak"
// bpfvet-expect(release_unchecked): reject "Possibly NULL pointer passed to trusted arg0"
// bpfvet-expect(release_twice): reject "arg#0 pointer type STRUCT prog_test_ref_kfunc must point to scalar, or struct with scalar"
#include "bpfvet.h"

/* libbpf matches a kfunc's pointer arguments by the struct's name and kind: a
 * definition, not a forward declaration (the kernel's has more members). */
struct prog_test_ref_kfunc {
	int a;
	int b;
};

extern void bpf_kfunc_call_test_release(struct prog_test_ref_kfunc *p) __ksym;

struct stash {
	struct prog_test_ref_kfunc __kptr *ref;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, int);
	__type(value, struct stash);
	__uint(max_entries, 1);
} stashes SEC(".maps");

static __always_inline int take_and_release(void)
{
	struct prog_test_ref_kfunc *r;
	struct stash *s;
	int key = 0;

	s = bpf_map_lookup_elem(&stashes, &key);
	if (!s)
		return 1;
	r = bpf_kptr_xchg(&s->ref, NULL);
	if (r)
		bpf_kfunc_call_test_release(r);
	return 0;
}

SEC("tc")
int take_and_release_tc(struct __sk_buff *skb)
{
	return take_and_release();
}

SEC("syscall")
int take_and_release_syscall(void *ctx)
{
	return take_and_release();
}

SEC("xdp")
int take_and_release_xdp(struct xdp_md *ctx)
{
	return take_and_release();
}

SEC("tc")
int take_and_leak(struct __sk_buff *skb)
{
	struct stash *s;
	int key = 0;

	s = bpf_map_lookup_elem(&stashes, &key);
	if (!s)
		return 1;
	return bpf_kptr_xchg(&s->ref, NULL) ? 1 : 0;
}

SEC("tc")
int release_unchecked(struct __sk_buff *skb)
{
	struct stash *s;
	int key = 0;

	s = bpf_map_lookup_elem(&stashes, &key);
	if (!s)
		return 1;
	bpf_kfunc_call_test_release(bpf_kptr_xchg(&s->ref, NULL));
	return 0;
}

SEC("tc")
int release_twice(struct __sk_buff *skb)
{
	struct prog_test_ref_kfunc *r;
	struct stash *s;
	int key = 0;

	s = bpf_map_lookup_elem(&stashes, &key);
	if (!s)
		return 1;
	r = bpf_kptr_xchg(&s->ref, NULL);
	if (!r)
		return 0;
	bpf_kfunc_call_test_release(r);
	bpf_kfunc_call_test_release(r);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
