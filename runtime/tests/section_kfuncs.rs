//! The critical-section kfuncs on both checking engines (`runtime::sections`): RCU and
//! preemption sections change nothing; a resilient spin lock is taken (0) unless the run holds
//! it already, which the kernel reports as the AA deadlock `-EDEADLK` (live 6.18:
//! corpus/c/kfuncs/res_spin_lock_aa.bpf.c returns 35 from its test run, and tests/diff_kernel.rs
//! compares it with the kernel); the IRQ kfuncs need a writable flags slot.

#[path = "support/kfunc_calls.rs"]
mod kfunc_calls;

use bpfvet_runtime::{interp, jit, FaultKind, Input, Machine, Program};
use kfunc_calls::with_kfuncs;

/// Both checking engines' result for `prog` (they must agree; host addresses erased).
fn both(prog: &Program) -> Result<u64, (u32, FaultKind)> {
    let run = |jit_engine: bool| {
        let mut m = Machine::new();
        let res = if jit_engine {
            jit::compile_checked(prog)
                .expect("compiles")
                .run(&mut m, &Input::None)
        } else {
            interp::run(&mut m, prog, &Input::None)
        };
        res.map(|r| r.r0).map_err(|mut f| {
            if let FaultKind::OutOfBounds { addr, near, .. } = &mut f.kind {
                *addr = 0;
                *near = None;
            }
            (f.insn.0, f.kind)
        })
    };
    let (i, j) = (run(false), run(true));
    assert_eq!(i, j, "the engines agree");
    i
}

#[test]
fn a_resilient_lock_taken_twice_reports_the_aa_deadlock() {
    // The lock word is a stack slot here (the verifier wants a map value; the runtime only
    // keys held locks by address). r6 = lock(fp-8); r7 = lock(fp-8); unlock(fp-8);
    // r8 = lock(fp-8) (free again); unlock; r0 = r6 + (r7 << 8) + (r8 << 16).
    let prog = with_kfuncs(
        "mov %r1, %r10\nadd %r1, -8\ncall 1\nmov %r6, %r0\n\
         mov %r1, %r10\nadd %r1, -8\ncall 1\nmov %r7, %r0\n\
         mov %r1, %r10\nadd %r1, -8\ncall 1\n\
         mov %r1, %r10\nadd %r1, -8\ncall 1\nmov %r8, %r0\n\
         mov %r1, %r10\nadd %r1, -8\ncall 1\n\
         neg %r7\nlsh %r7, 8\nlsh %r8, 16\nmov %r0, %r6\nadd %r0, %r7\nadd %r0, %r8\nexit\n",
        &[
            "bpf_res_spin_lock",
            "bpf_res_spin_lock",
            "bpf_res_spin_unlock",
            "bpf_res_spin_lock",
            "bpf_res_spin_unlock",
        ],
    );
    // First lock 0, second -EDEADLK (35), the lock after the unlock 0.
    assert_eq!(both(&prog), Ok(35 << 8));
}

#[test]
fn irqsave_writes_the_flags_slot_and_sections_change_nothing() {
    // rcu_read_lock; preempt_disable; lock_irqsave(fp-8, fp-16); unlock_irqrestore;
    // preempt_enable; rcu_read_unlock; r0 = the lock call's result + 7.
    let prog = with_kfuncs(
        "call 1\ncall 1\n\
         mov %r1, %r10\nadd %r1, -8\nmov %r2, %r10\nadd %r2, -16\ncall 1\nmov %r6, %r0\n\
         mov %r1, %r10\nadd %r1, -8\nmov %r2, %r10\nadd %r2, -16\ncall 1\n\
         call 1\ncall 1\nmov %r0, %r6\nadd %r0, 7\nexit\n",
        &[
            "bpf_rcu_read_lock",
            "bpf_preempt_disable",
            "bpf_res_spin_lock_irqsave",
            "bpf_res_spin_unlock_irqrestore",
            "bpf_preempt_enable",
            "bpf_rcu_read_unlock",
        ],
    );
    assert_eq!(both(&prog), Ok(7));
    // A flags pointer outside every region is a fault at the call, not a silent write.
    let bad = with_kfuncs(
        "mov %r1, 16\ncall 1\nmov %r0, 0\nexit\n",
        &["bpf_local_irq_save"],
    );
    assert!(matches!(
        both(&bad),
        Err((1, FaultKind::OutOfBounds { size: 8, .. }))
    ));
}

#[test]
fn rdonly_cast_is_the_same_pointer() {
    let prog = with_kfuncs(
        "mov %r1, %r10\nadd %r1, -8\nmov %r2, 1\ncall 1\nmov %r1, %r10\nsub %r0, %r1\nexit\n",
        &["bpf_rdonly_cast"],
    );
    assert_eq!(both(&prog), Ok((-8i64) as u64));
}
