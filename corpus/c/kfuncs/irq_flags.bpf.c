// SPDX-License-Identifier: MIT OR Apache-2.0
// Interrupt state (Linux 6.14+): bpf_local_irq_save and bpf_local_irq_restore
// pair up on an unsigned long of stack, nested saves restored latest first,
// helpers allowed in between; and the ways the kernel refuses them: an exit
// with interrupts still off, a restore of a word never saved (or overwritten
// since), restores out of order, the word read as plain stack, and a second
// save into a word that holds one.
// bpfvet-expect(irq_save_restore): accept
// bpfvet-expect(irq_nested_in_order): accept
// bpfvet-expect(irq_helper_inside): accept
// bpfvet-expect(irq_not_restored): reject "BPF_EXIT instruction in main prog cannot be used inside bpf_local_irq_save-ed region"
// bpfvet-expect(irq_restore_unsaved): reject "expected an initialized irq flag as arg#0"
// bpfvet-expect(irq_restore_out_of_order): reject "cannot restore irq state out of order, expected id=2 acquired at insn_idx=7"
// bpfvet-expect(irq_flag_overwritten): reject "expected an initialized irq flag as arg#0"
// bpfvet-expect(irq_flag_read): reject "invalid read from stack off -8+0 size 8"
// bpfvet-expect(irq_saved_twice): reject "expected uninitialized irq flag as arg#0"
#include "bpfvet.h"

extern void bpf_local_irq_save(unsigned long *flags__irq_flag) __ksym;
extern void bpf_local_irq_restore(unsigned long *flags__irq_flag) __ksym;

SEC("raw_tp/sys_enter")
int irq_save_restore(void *ctx)
{
	unsigned long flags;

	bpf_local_irq_save(&flags);
	bpf_local_irq_restore(&flags);
	return 0;
}

SEC("raw_tp/sys_enter")
int irq_nested_in_order(void *ctx)
{
	unsigned long a, b;

	bpf_local_irq_save(&a);
	bpf_local_irq_save(&b);
	bpf_local_irq_restore(&b);
	bpf_local_irq_restore(&a);
	return 0;
}

SEC("raw_tp/sys_enter")
int irq_not_restored(void *ctx)
{
	unsigned long flags;

	bpf_local_irq_save(&flags);
	return 0;
}

SEC("raw_tp/sys_enter")
int irq_restore_unsaved(void *ctx)
{
	unsigned long flags;

	bpf_local_irq_restore(&flags);
	return 0;
}

SEC("raw_tp/sys_enter")
int irq_restore_out_of_order(void *ctx)
{
	unsigned long a, b;

	bpf_local_irq_save(&a);
	bpf_local_irq_save(&b);
	bpf_local_irq_restore(&a);
	bpf_local_irq_restore(&b);
	return 0;
}

SEC("raw_tp/sys_enter")
int irq_flag_overwritten(void *ctx)
{
	unsigned long flags;

	bpf_local_irq_save(&flags);
	*(volatile unsigned long *)&flags = 0;
	bpf_local_irq_restore(&flags);
	return 0;
}

SEC("raw_tp/sys_enter")
int irq_flag_read(void *ctx)
{
	unsigned long flags;
	int r;

	bpf_local_irq_save(&flags);
	r = *(volatile unsigned long *)&flags;
	bpf_local_irq_restore(&flags);
	return r;
}

SEC("raw_tp/sys_enter")
int irq_saved_twice(void *ctx)
{
	unsigned long flags;

	bpf_local_irq_save(&flags);
	bpf_local_irq_save(&flags);
	bpf_local_irq_restore(&flags);
	return 0;
}

SEC("raw_tp/sys_enter")
int irq_helper_inside(void *ctx)
{
	unsigned long flags;
	int r;

	bpf_local_irq_save(&flags);
	r = bpf_get_smp_processor_id();
	bpf_local_irq_restore(&flags);
	return r;
}

char _license[] SEC("license") = "GPL";
