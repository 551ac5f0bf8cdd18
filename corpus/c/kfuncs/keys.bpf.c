// SPDX-License-Identifier: MIT OR Apache-2.0
// Keyring references for signature checks (tracing programs): a system keyring
// looked up and put back, and the ways the kernel refuses them: a key leaked at
// exit, a NULL-able key put unchecked, and the user-keyring lookup (which may
// sleep) from a program that may not.
// bpfvet-expect(system_key_put): accept
// bpfvet-expect(system_key_leak): reject "Unreleased reference"
// bpfvet-expect(system_key_unchecked): reject "Possibly NULL pointer passed to trusted arg0"
// bpfvet-expect(user_key_not_sleepable): reject "program must be sleepable to call sleepable kfunc bpf_lookup_user_key"
#include "bpfvet.h"

struct bpf_key {
	int __unused;
};

extern struct bpf_key *bpf_lookup_system_key(__u64 id) __ksym;
extern struct bpf_key *bpf_lookup_user_key(__s32 serial, __u64 flags) __ksym;
extern void bpf_key_put(struct bpf_key *bkey) __ksym;

SEC("tp_btf/sched_switch")
int system_key_put(void *ctx)
{
	struct bpf_key *k = bpf_lookup_system_key(0);

	if (!k)
		return 0;
	bpf_key_put(k);
	return 0;
}

SEC("tp_btf/sched_switch")
int system_key_leak(void *ctx)
{
	struct bpf_key *k = bpf_lookup_system_key(0);

	return k ? 1 : 0;
}

SEC("tp_btf/sched_switch")
int system_key_unchecked(void *ctx)
{
	struct bpf_key *k = bpf_lookup_system_key(0);

	bpf_key_put(k);
	return 0;
}

SEC("tp_btf/sched_switch")
int user_key_not_sleepable(void *ctx)
{
	struct bpf_key *k = bpf_lookup_user_key(1, 0);

	if (k)
		bpf_key_put(k);
	return 0;
}

char _license[] SEC("license") = "GPL";
