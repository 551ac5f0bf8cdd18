//! Soundness cases of the verifier that the corpus cannot pin down: each is a small program
//! whose unsafe path is reachable only through the behaviour under test.

use super::env::{Input, Options};
use super::violation::Code;
use super::{verify, Verdict};
use crate::isa::{AluOp, CallTarget, Cond, Insn, Operand, PseudoSrc, Reg, Size, Width};
use crate::rules::ProgTypeRules;

fn input(insns: &[Insn]) -> Input<'_> {
    let rules = ProgTypeRules::by_name("socket_filter").expect("socket_filter rules");
    Input::bare(insns, &[], rules, true)
}

fn mov(dst: Reg, src: Operand) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst,
        src,
    }
}

fn add(dst: Reg, imm: i32) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op: AluOp::Add,
        dst,
        src: Operand::Imm(imm),
    }
}

fn ldx(dst: Reg, src: Reg, off: i16) -> Insn {
    Insn::Load {
        size: Size::DW,
        sign_extend: false,
        dst,
        src,
        off,
    }
}

fn stx(dst: Reg, off: i16, src: Reg) -> Insn {
    Insn::Store {
        size: Size::DW,
        dst,
        off,
        src: Operand::Reg(src),
    }
}

fn st(dst: Reg, off: i16, imm: i32) -> Insn {
    Insn::Store {
        size: Size::DW,
        dst,
        off,
        src: Operand::Imm(imm),
    }
}

/// A callback that increments a counter in the caller's stack reaches 2 after two runs; the
/// verifier must not assume it ran at most once.
#[test]
fn callback_state_after_several_runs_is_not_assumed() {
    let prog = [
        // 0: counter = 0 at fp-8
        st(Reg::FP, -8, 0),
        // 1: r1 = 10 iterations
        mov(Reg::R1, Operand::Imm(10)),
        // 2-3: r2 = &callback (insn 13)
        Insn::LdImm64 {
            dst: Reg::R2,
            src: PseudoSrc::Func,
            imm: 10,
            next_imm: 0,
        },
        Insn::LdImm64Tail,
        // 4-5: r3 = fp - 8 (the callback's context)
        mov(Reg::R3, Operand::Reg(Reg::FP)),
        add(Reg::R3, -8),
        // 6: r4 = 0 flags
        mov(Reg::R4, Operand::Imm(0)),
        // 7: call bpf_loop
        Insn::Call(CallTarget::Helper(181)),
        // 8: r1 = counter
        ldx(Reg::R1, Reg::FP, -8),
        // 9: if r1 != 2 goto +1 (to 11)
        Insn::Jmp {
            width: Width::W64,
            cond: Cond::Ne,
            dst: Reg::R1,
            src: Operand::Imm(2),
            off: 1,
        },
        // 10: r0 = *(u64 *)(r1 + 0): a scalar dereferenced, only when the callback ran twice
        ldx(Reg::R0, Reg::R1, 0),
        // 11: r0 = 0; 12: exit
        mov(Reg::R0, Operand::Imm(0)),
        Insn::Exit,
        // 13: callback(index, ctx): *ctx += 1; return 0
        ldx(Reg::R1, Reg::R2, 0),
        add(Reg::R1, 1),
        stx(Reg::R2, 0, Reg::R1),
        mov(Reg::R0, Operand::Imm(0)),
        Insn::Exit,
    ];
    let res = verify(&input(&prog), &Options::default());
    assert_eq!(res.verdict, Verdict::Reject, "{:?}", res.violations);
    assert_eq!(res.violations[0].code, Code::InvalidMemAccess);
    assert_eq!(res.violations[0].insn.0, 10);
}

/// A callee may not leave a pointer to its own stack in its caller's frame.
#[test]
fn callee_stack_pointer_stored_in_caller_frame_is_rejected() {
    let prog = [
        // 0-1: r1 = fp - 8 (a slot of the caller)
        mov(Reg::R1, Operand::Reg(Reg::FP)),
        add(Reg::R1, -8),
        // 2: call the subprogram at 5
        Insn::Call(CallTarget::Local(2)),
        // 3: r0 = 0; 4: exit
        mov(Reg::R0, Operand::Imm(0)),
        Insn::Exit,
        // 5-6: r2 = callee's fp - 16
        mov(Reg::R2, Operand::Reg(Reg::FP)),
        add(Reg::R2, -16),
        // 7: *(u64 *)(r1 + 0) = r2: into the caller's frame
        stx(Reg::R1, 0, Reg::R2),
        // 8: r0 = 0; 9: exit
        mov(Reg::R0, Operand::Imm(0)),
        Insn::Exit,
    ];
    let res = verify(&input(&prog), &Options::default());
    assert_eq!(res.verdict, Verdict::Reject);
    assert_eq!(res.violations[0].code, Code::InvalidSpill);
    assert_eq!(
        res.violations[0].kernel_message,
        "cannot spill pointers to stack into stack frame of the caller"
    );
}
