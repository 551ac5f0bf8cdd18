/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/* kprobe/uprobe helpers: libbpf's bpf_tracing.h needs a complete struct
 * pt_regs; without vmlinux.h take the UAPI x86-64 one (rdi, rsi, ...). */
#ifndef BPFVET_TRACING_H
#define BPFVET_TRACING_H
#include <linux/ptrace.h>
#include <bpf/bpf_tracing.h>
#endif
