//! Kfuncs that open and close critical sections, shared by both engines: RCU read sections
//! (`bpf_rcu_read_lock`/`_unlock`), preemption (`bpf_preempt_disable`/`_enable`), saved IRQ
//! state (`bpf_local_irq_save`/`_restore`) and resilient spin locks (`bpf_res_spin_lock`,
//! `_unlock`, `_lock_irqsave`, `_unlock_irqrestore`, kernel/bpf/rqspinlock.c).
//!
//! A run is one thread on one CPU, so RCU and preemption sections change nothing a program can
//! see: those kfuncs do nothing. The IRQ kfuncs write and read the program's flags slot (which
//! the verifier keeps the program from reading: any value would do; the runtime writes 0 and
//! checks the slot is there). A resilient lock taken twice by the same CPU is the kernel's AA
//! deadlock, which it reports as `-EDEADLK` instead of spinning; the runtime keeps the locks
//! the run holds, by address, to answer the same. With no other CPU, a lock not held is always
//! taken (0). The verifier refuses a program that leaves a section open, so the held locks are
//! simply forgotten when the run ends.

use crate::machine::Machine;
use crate::FaultKind;

/// `EDEADLK`.
const EDEADLK: i64 = 35;

/// A section kfunc.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    RcuReadLock,
    RcuReadUnlock,
    PreemptDisable,
    PreemptEnable,
    LocalIrqSave,
    LocalIrqRestore,
    ResSpinLock,
    ResSpinUnlock,
    ResSpinLockIrqsave,
    ResSpinUnlockIrqrestore,
}

/// The section kfuncs with their names.
pub const OPS: [(Op, &str); 10] = [
    (Op::RcuReadLock, "bpf_rcu_read_lock"),
    (Op::RcuReadUnlock, "bpf_rcu_read_unlock"),
    (Op::PreemptDisable, "bpf_preempt_disable"),
    (Op::PreemptEnable, "bpf_preempt_enable"),
    (Op::LocalIrqSave, "bpf_local_irq_save"),
    (Op::LocalIrqRestore, "bpf_local_irq_restore"),
    (Op::ResSpinLock, "bpf_res_spin_lock"),
    (Op::ResSpinUnlock, "bpf_res_spin_unlock"),
    (Op::ResSpinLockIrqsave, "bpf_res_spin_lock_irqsave"),
    (
        Op::ResSpinUnlockIrqrestore,
        "bpf_res_spin_unlock_irqrestore",
    ),
];

impl Op {
    pub fn name(self) -> &'static str {
        OPS.iter()
            .find(|(o, _)| *o == self)
            .map_or("bpf_?", |(_, n)| n)
    }
}

/// The resilient locks the current run holds, by address.
#[derive(Debug, Default)]
pub struct HeldLocks(Vec<u64>);

impl HeldLocks {
    pub(crate) fn end_run(&mut self) {
        self.0.clear();
    }
}

/// Runs section kfunc `op` with `r1`..`r5`.
pub fn call(m: &mut Machine, op: Op, a: [u64; 5]) -> Result<u64, FaultKind> {
    match op {
        Op::RcuReadLock | Op::RcuReadUnlock | Op::PreemptDisable | Op::PreemptEnable => Ok(0),
        Op::LocalIrqSave => save_flags(m, a[0]),
        Op::LocalIrqRestore => restore_flags(m, a[0]),
        Op::ResSpinLock => Ok(lock(m, a[0])),
        Op::ResSpinLockIrqsave => {
            // The kernel saves the flags first and restores them itself when the lock fails.
            save_flags(m, a[1])?;
            Ok(lock(m, a[0]))
        }
        Op::ResSpinUnlock => {
            unlock(m, a[0]);
            Ok(0)
        }
        Op::ResSpinUnlockIrqrestore => {
            unlock(m, a[0]);
            restore_flags(m, a[1])
        }
    }
}

fn save_flags(m: &mut Machine, flags: u64) -> Result<u64, FaultKind> {
    m.mem.store(flags, 8, 0)?;
    Ok(0)
}

fn restore_flags(m: &mut Machine, flags: u64) -> Result<u64, FaultKind> {
    m.mem.load(flags, 8)?;
    Ok(0)
}

/// 0, or `-EDEADLK` when this run holds the lock already.
fn lock(m: &mut Machine, lock: u64) -> u64 {
    if m.held_locks.0.contains(&lock) {
        return -EDEADLK as u64;
    }
    m.held_locks.0.push(lock);
    0
}

fn unlock(m: &mut Machine, lock: u64) {
    m.held_locks.0.retain(|&l| l != lock);
}
