//! Resilient spin locks (Linux 6.15): `bpf_res_spin_lock(lock)` and
//! `bpf_res_spin_lock_irqsave(lock, &flags)` may fail (deadlock or timeout) and say so with a
//! negative `int`; the lock is held only where the call returned 0. The kernel verifies the
//! call twice: a path on which it failed (taken before anything is acquired: no lock, no saved
//! flags, r0 an `int` in `[-4095, -1]`) and one on which it succeeded (r0 = 0, the lock held).
//!
//! Held resilient locks nest, unlike `bpf_spin_lock`: each is a [`HeldResLock`] in the state,
//! named as a spin lock is (the map and the value pointer's id), and they are released in
//! reverse order, each by the unlock of its own kind (`_irqrestore` for `_irqsave`). While any
//! is held the program may call only the resilient-lock kfuncs (and what the kernel allows under
//! a spin lock), and may not exit. The messages are the live 6.18.44's (kernel_cases/res_locks.rs
//! and corpus/c/kfuncs/res_spin_lock*.bpf.c).
//!
//! A lock inside an allocated object (`bpf_obj_new`) is not modelled yet: refused by name.

use super::kfunc_args::clobber_args;
use super::{read, Flow, Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::domain::Scalar;
use crate::verifier::kfuncs::KfuncDef;
use crate::verifier::ptr_kind::PtrKind;
use crate::verifier::state::{AbstractState, HeldLock, HeldResLock, RegState};
use crate::verifier::violation::{Code, Violation};

/// What acquires the interrupt-flag reference of `bpf_res_spin_lock_irqsave`.
pub(super) const IRQ_SAVER: &str = "bpf_res_spin_lock_irqsave";

/// The kernel's `MAX_ERRNO`: the failure path's r0 is in `[-MAX_ERRNO, -1]`.
const MAX_ERRNO: i32 = 4095;

impl Vm<'_> {
    /// `bpf_res_spin_lock[_irqsave]` (`lock`) or `bpf_res_spin_unlock[_irqrestore]`.
    pub(super) fn res_lock_call(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        lock: bool,
        irq: bool,
    ) -> Res<Flow> {
        let next = InsnIdx(pc.0 + 1);
        // The failure path forks off before the arguments are looked at.
        let failed = lock.then(|| {
            let mut failed = st.clone();
            clobber_args(&mut failed);
            failed.set(
                Reg::R0,
                RegState::scalar(Scalar::low_s32_range(-MAX_ERRNO, -1)),
            );
            failed
        });
        let (map, id) = self.res_lock_arg(st, pc, k)?;
        if lock {
            if st
                .res_locks
                .iter()
                .any(|h| h.lock.map == map && h.lock.id == id)
            {
                return Err(Violation::new(
                    Code::SpinLockMisuse,
                    pc,
                    format!(
                        "{} takes a lock this path already holds: it would deadlock on itself",
                        k.name
                    ),
                    "Acquiring the same lock again, AA deadlock detected",
                ));
            }
            st.res_locks.push(HeldResLock {
                lock: HeldLock { at: pc, map, id },
                irq,
            });
            if irq {
                self.save_irq_flag(st, pc, k, Reg::R2, IRQ_SAVER)?;
            }
        } else {
            if !st.holds_lock() {
                return Err(Violation::new(
                    Code::SpinLockMisuse,
                    pc,
                    format!("{} is called, but no lock is held on this path (a lock call that failed holds none)", k.name),
                    "bpf_res_spin_unlock without taking a lock",
                ));
            }
            let Some(at) = st
                .res_locks
                .iter()
                .rposition(|h| h.lock.map == map && h.lock.id == id && h.irq == irq)
            else {
                return Err(Violation::new(
                    Code::SpinLockMisuse,
                    pc,
                    format!("{} is given a lock this path does not hold (or one taken by the other kind of lock call)", k.name),
                    "bpf_res_spin_unlock of different lock",
                ));
            };
            if at + 1 != st.res_locks.len() {
                let last = st.res_locks[st.res_locks.len() - 1].lock.at;
                return Err(Violation::new(
                    Code::SpinLockMisuse,
                    pc,
                    format!("{} releases a lock while one taken later is still held; resilient locks unlock in reverse order", k.name),
                    "bpf_res_spin_unlock cannot be out of order",
                )
                .with_related(last, "the most recent lock, still held"));
            }
            st.res_locks.pop();
            if irq {
                self.restore_irq_flag(st, pc, k, Reg::R2, IRQ_SAVER)?;
            }
            super::kfunc::alloc::invalidate_non_owning(st);
        }
        clobber_args(st);
        if !lock {
            st.set(Reg::R0, RegState::Uninit);
            return Ok(Flow::Next(next));
        }
        st.set(Reg::R0, RegState::scalar(Scalar::constant(0)));
        Ok(match failed {
            Some(failed) => Flow::Fork {
                cont: next,
                other: (next, failed),
            },
            None => Flow::Next(next),
        })
    }

    /// The lock argument (r1): the `struct bpf_res_spin_lock` of a map value, named as the
    /// kernel names a held lock.
    fn res_lock_arg(&self, st: &AbstractState, pc: InsnIdx, k: &KfuncDef) -> Res<(u32, u32)> {
        let v = read(st, pc, Reg::R1)?;
        match v.as_ptr() {
            Some(p) if matches!(p.kind, PtrKind::MapValue { .. }) && !p.maybe_null => {
                self.check_special_field_arg(pc, 1, p, "bpf_res_spin_lock")?;
                Ok(super::call::lock_of(&v))
            }
            Some(p) if matches!(p.kind, PtrKind::Alloc { .. }) => Err(Violation::new(
                Code::UnsupportedHelper,
                pc,
                format!("{} on a lock inside an allocated object is not modelled by bpfvet yet", k.name),
                "",
            )),
            _ => Err(Violation::new(
                Code::HelperArgType,
                pc,
                format!(
                    "{} takes a pointer to the struct bpf_res_spin_lock of a map value, but r1 is {}",
                    k.name,
                    v.type_name()
                ),
                "arg#0 doesn't point to map value or allocated object",
            )),
        }
    }
}

/// The exit of the main program with a resilient lock held.
pub(super) fn exit_with_res_lock(st: &AbstractState, pc: InsnIdx) -> Res<()> {
    match st.res_locks.last() {
        Some(held) => Err(Violation::new(
            Code::SpinLockMisuse,
            pc,
            "the program exits while holding a lock taken by bpf_res_spin_lock; unlock it on every path where the lock call returned 0",
            "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region",
        )
        .with_related(held.lock.at, "locked here")),
        None => Ok(()),
    }
}
