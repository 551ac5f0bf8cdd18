/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* CO-RE declarations used by the falco-style programs (only fields read).
 * The ___falco flavour suffix keeps them apart from bpfvet_core.h types;
 * libbpf matches them to the kernel's types by the name before "___". */
#ifndef REALWORLD_FALCO_CORE_H
#define REALWORLD_FALCO_CORE_H
#include <linux/types.h>

#define FALCO_CORE __attribute__((preserve_access_index))

struct kuid___falco {
	__u32 val;
} FALCO_CORE;

struct cred___falco {
	struct kuid___falco uid;
	struct kuid___falco gid;
	struct kuid___falco euid;
} FALCO_CORE;

struct mm_struct___falco {
	unsigned long arg_start;
	unsigned long arg_end;
	unsigned long env_start;
	unsigned long total_vm;
} FALCO_CORE;

struct signal_struct___falco {
	int nr_threads;
} FALCO_CORE;

struct kernfs_node___falco {
	const char *name;
} FALCO_CORE;

struct cgroup___falco {
	struct kernfs_node___falco *kn;
} FALCO_CORE;

struct cgroup_subsys_state___falco {
	struct cgroup___falco *cgroup;
} FALCO_CORE;

struct css_set___falco {
	struct cgroup_subsys_state___falco *subsys[16];
} FALCO_CORE;

struct task_struct___falco {
	unsigned int flags;
	int pid;
	int tgid;
	int exit_code;
	char comm[16];
	unsigned long long start_time;
	struct task_struct___falco *real_parent;
	struct task_struct___falco *group_leader;
	struct mm_struct___falco *mm;
	const struct cred___falco *cred;
	struct signal_struct___falco *signal;
	struct kuid___falco loginuid;
	unsigned int sessionid;
	struct css_set___falco *cgroups;
} FALCO_CORE;

#endif
