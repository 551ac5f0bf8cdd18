/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* Minimal kernel type declarations for CO-RE programs. Only the fields the
 * corpus reads are declared; preserve_access_index makes clang record
 * relocations so libbpf/the loader fixes up offsets against the running
 * kernel's BTF. Field order/offsets here do not need to match the kernel. */
#ifndef BPFVET_CORE_H
#define BPFVET_CORE_H

#include <linux/types.h>

#define BV_CORE __attribute__((preserve_access_index))

struct qstr {
	union {
		struct {
			__u32 hash;
			__u32 len;
		};
		__u64 hash_len;
	};
	const unsigned char *name;
} BV_CORE;

struct dentry {
	struct dentry *d_parent;
	struct qstr d_name;
} BV_CORE;

struct path {
	struct dentry *dentry;
} BV_CORE;

struct file {
	struct path f_path;
	unsigned int f_flags;
} BV_CORE;

struct mm_struct {
	unsigned long start_code;
	unsigned long end_code;
	unsigned long arg_start;
	unsigned long arg_end;
} BV_CORE;

struct cred {
	struct {
		__u32 val;
	} uid;
} BV_CORE;

struct task_struct {
	int pid;
	int tgid;
	unsigned int flags;
	char comm[16];
	struct task_struct *real_parent;
	struct task_struct *group_leader;
	struct mm_struct *mm;
	const struct cred *cred;
	int exit_code;
	unsigned long long start_time;
} BV_CORE;

struct sock_common {
	union {
		struct {
			__be32 skc_daddr;
			__be32 skc_rcv_saddr;
		};
	};
	union {
		struct {
			__be16 skc_dport;
			__u16 skc_num;
		};
	};
	unsigned short skc_family;
	volatile unsigned char skc_state;
} BV_CORE;

struct sock {
	struct sock_common __sk_common;
	int sk_rcvbuf;
	int sk_sndbuf;
} BV_CORE;

/* pt_regs for x86-64, as bpf_tracing.h expects when __TARGET_ARCH_x86 is set
 * and no vmlinux.h is used: it picks the field names di, si, dx, ... */
#endif
