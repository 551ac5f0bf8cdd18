//! `bpf_local_irq_save(&flags)` / `bpf_local_irq_restore(&flags)` (Linux 6.14): the flags word
//! is 8 bytes of stack the kernel marks as its own (`STACK_IRQ_FLAG`), and each save holds a
//! reference that only the restore of the same word releases, the most recent save first.
//!
//! The slot is marked with the iterator marker ([`IterSlot`]) under the family `irq_flag`: the
//! rules the kernel applies to both are the same (unreadable as plain stack, a store forgets
//! it, compared as state when pruning), and no iterator kfunc accepts that family.

use super::kfunc_args::{clobber_args, opaque, release_ref};
use super::{read, Flow, Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::kfuncs::KfuncDef;
use crate::verifier::state::{AbstractState, IterSlot, PtrKind, RegState, StackByte};
use crate::verifier::violation::{Code, Violation};

/// The family name that marks an irq flag's slot.
const IRQ_FLAG: &str = "irq_flag";
/// What acquires an irq reference (and names it in messages).
pub(super) const SAVER: &str = "bpf_local_irq_save";

impl Vm<'_> {
    /// A call to `bpf_local_irq_save` (`save`) or `bpf_local_irq_restore`.
    pub(super) fn irq_call(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        save: bool,
    ) -> Res<Flow> {
        if save {
            self.save_irq_flag(st, pc, k, Reg::R1, SAVER)?;
        } else {
            self.restore_irq_flag(st, pc, k, Reg::R1, SAVER)?;
        }
        clobber_args(st);
        st.set(Reg::R0, RegState::Uninit);
        Ok(Flow::Next(InsnIdx(pc.0 + 1)))
    }

    /// The stack slot (frame, index, offset) of the irq flag word `reg` points at.
    fn irq_flag_slot(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        reg: Reg,
        save: bool,
    ) -> Res<(usize, usize, i64)> {
        let v = read(st, pc, reg)?;
        let arg = reg.num() - 1;
        let (frame, off) = match v.as_ptr() {
            Some(p) if matches!(p.kind, PtrKind::Stack { .. }) && p.has_const_off() => {
                let PtrKind::Stack { frame } = p.kind else {
                    unreachable!("matched above")
                };
                (usize::from(frame), i64::from(p.off))
            }
            _ => {
                return Err(misuse(
                    pc,
                    format!(
                        "{} takes the address of an unsigned long on the stack, but r{} is {}",
                        k.name,
                        reg.num(),
                        v.type_name()
                    ),
                    format!("arg#{arg} doesn't point to an irq flag on stack"),
                ))
            }
        };
        self.stack_bounds(pc, reg, off, 8, save)?;
        if off % 8 != 0 {
            return Err(misuse(
                pc,
                format!("the irq flag at fp{off:+} is not aligned to 8 bytes"),
                String::new(),
            ));
        }
        Ok((frame, ((-off - 1) / 8) as usize, off))
    }

    /// Saves the interrupt state into the flag word `reg` points at, holding a reference
    /// acquired by `saver` (`bpf_local_irq_save` or `bpf_res_spin_lock_irqsave`).
    pub(super) fn save_irq_flag(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        reg: Reg,
        saver: &'static str,
    ) -> Res<()> {
        let (frame, slot, off) = self.irq_flag_slot(st, pc, k, reg, true)?;
        let held = st.frames[frame].slot(slot).and_then(|s| s.iter);
        if held.is_some()
            || st.frames[frame]
                .slot(slot)
                .is_some_and(|s| s.holds_object())
        {
            return Err(misuse(
                pc,
                format!("{} is given fp{off:+}, which already holds a saved irq state (or another object)", k.name),
                format!("expected uninitialized irq flag as arg#{}", reg.num() - 1),
            ));
        }
        let ref_id = st.acquire(pc, saver);
        let s = st.frames[frame].slot_mut(slot);
        opaque(s);
        s.iter = Some(IterSlot {
            ref_id,
            active: true,
            depth: 0,
            family: IRQ_FLAG,
            rcu_gone: false,
        });
        Ok(())
    }

    /// Restores the interrupt state from the flag word `reg` points at, which a save of the
    /// same kind (`saver`) must have filled, the most recent save first.
    pub(super) fn restore_irq_flag(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        reg: Reg,
        saver: &'static str,
    ) -> Res<()> {
        let (frame, slot, off) = self.irq_flag_slot(st, pc, k, reg, false)?;
        let held = st.frames[frame].slot(slot).and_then(|s| s.iter);
        let Some(flag) = held.filter(|h| h.family == IRQ_FLAG) else {
            return Err(misuse(
                pc,
                format!("{} is given fp{off:+}, which holds no state saved by {saver} on this path (or it was overwritten)", k.name),
                format!("expected an initialized irq flag as arg#{}", reg.num() - 1),
            ));
        };
        // The kind of save is checked first (live 6.18.44: a word saved by
        // bpf_local_irq_save given to bpf_res_spin_unlock_irqrestore is refused so even when a
        // later save is in effect too).
        let by = st
            .refs
            .iter()
            .find(|r| r.id == flag.ref_id)
            .map(|r| r.acquired_by);
        if let Some(by) = by.filter(|by| *by != saver) {
            return Err(misuse(
                pc,
                format!(
                    "{} restores a state saved by {by}; only {saver} saves what it restores",
                    k.name
                ),
                format!(
                    "irq flag acquired by {} kfuncs cannot be restored with {} kfuncs",
                    kfunc_class(by),
                    kfunc_class(saver)
                ),
            ));
        }
        if let Some(last) = st.refs.iter().rev().find(|r| is_irq_saver(r.acquired_by)) {
            if last.id != flag.ref_id {
                return Err(Violation::new(
                    Code::HelperArgType,
                    pc,
                    "irq states must be restored in the reverse order of their saves; a later save is still in effect",
                    format!(
                        "cannot restore irq state out of order, expected id={} acquired at insn_idx={}",
                        last.id, last.acquired_at
                    ),
                )
                .with_related(last.acquired_at, "the most recent save still in effect"));
            }
        }
        release_ref(st, flag.ref_id);
        let s = st.frames[frame].slot_mut(slot);
        s.iter = None;
        s.bytes = [StackByte::Invalid; 8];
        Ok(())
    }
}

/// The kernel's name for the family of an irq-flag kfunc (`irq_kfunc_class`).
fn kfunc_class(saver: &str) -> &'static str {
    if saver == SAVER {
        "native"
    } else {
        "lock"
    }
}

/// Whether a reference's acquirer is a save of the interrupt state.
pub(super) fn is_irq_saver(acquired_by: &str) -> bool {
    acquired_by == SAVER || acquired_by == super::res_lock::IRQ_SAVER
}

/// The exit of the main program with interrupts still disabled by a save.
pub(super) fn exit_with_irq_saved(st: &AbstractState, pc: InsnIdx) -> Res<()> {
    match st.refs.iter().find(|r| is_irq_saver(r.acquired_by)) {
        Some(r) => Err(Violation::new(
            Code::ReferenceLeak,
            pc,
            "the program exits with interrupts disabled by bpf_local_irq_save; restore them on every path",
            "BPF_EXIT instruction in main prog cannot be used inside bpf_local_irq_save-ed region",
        )
        .with_related(r.acquired_at, "saved here")),
        None => Ok(()),
    }
}

fn misuse(pc: InsnIdx, message: String, kernel: String) -> Box<Violation> {
    Violation::new(Code::HelperArgType, pc, message, kernel).with_note(
        "bpf_local_irq_save(&flags) and bpf_local_irq_restore(&flags) pair up on one unsigned long on the stack, the latest save restored first",
    )
}
