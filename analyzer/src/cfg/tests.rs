//! Structural checks on small hand-built programs.

use super::*;
use crate::isa::{AluOp, Cond, Insn, Operand, Reg, Width};

fn mov(imm: i32) -> Insn {
    Insn::Alu {
        width: Width::W64,
        op: AluOp::Mov,
        dst: Reg::R0,
        src: Operand::Imm(imm),
    }
}

fn jeq(off: i16) -> Insn {
    Insn::Jmp {
        width: Width::W64,
        cond: Cond::Eq,
        dst: Reg::R0,
        src: Operand::Imm(0),
        off,
    }
}

#[test]
fn straight_line_has_one_block_and_no_violation() {
    let (cfg, v) = build(&[mov(0), Insn::Exit]);
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(cfg.n_blocks(), 1);
}

#[test]
fn diamond_has_four_blocks() {
    // 0: r0 = 0; 1: if r0 == 0 goto +1; 2: r0 = 1; 3: exit
    let (cfg, v) = build(&[mov(0), jeq(1), mov(1), Insn::Exit]);
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(cfg.n_blocks(), 3);
    assert!(cfg.is_prune_point(InsnIdx(2)) && cfg.is_prune_point(InsnIdx(3)));
}

#[test]
fn reports_jump_out_of_range() {
    let (_, v) = build(&[jeq(5), Insn::Exit]);
    assert_eq!(
        v,
        vec![StructuralViolation::JumpOutOfRange {
            from: InsnIdx(0),
            to: 6
        }]
    );
    assert_eq!(v[0].kernel_message(), "jump out of range from insn 0 to 6");
}

#[test]
fn reports_unreachable_once_per_run() {
    let (_, v) = build(&[mov(0), Insn::Exit, mov(1), mov(2), Insn::Exit]);
    assert_eq!(
        v,
        vec![StructuralViolation::Unreachable { insn: InsnIdx(2) }]
    );
}

#[test]
fn reports_back_edge_and_loop_head() {
    // 0: r0 = 0; 1: if r0 == 0 goto -2 (to 0); 2: exit
    let (cfg, v) = build(&[mov(0), jeq(-2), Insn::Exit]);
    assert_eq!(
        v,
        vec![StructuralViolation::BackEdge {
            from: InsnIdx(1),
            to: InsnIdx(0),
            fall_through: false,
        }]
    );
    assert_eq!(cfg.loop_heads(), &[InsnIdx(0)]);
}

#[test]
fn a_loop_entered_in_its_middle_closes_by_falling_through() {
    // 0: r0 = 0; 1: goto +1 (to 3); 2: r0 += 1; 3: if r0 < 4 goto -2 (to 2); 4: exit
    // (the selftests' loop_start_in_the_middle): the depth-first walk meets 3 again from 2's
    // fall-through.
    let prog = [
        mov(0),
        Insn::Ja {
            off: 1,
            long: false,
        },
        Insn::Alu {
            width: Width::W64,
            op: AluOp::Add,
            dst: Reg::R0,
            src: Operand::Imm(1),
        },
        Insn::Jmp {
            width: Width::W64,
            cond: Cond::Lt,
            dst: Reg::R0,
            src: Operand::Imm(4),
            off: -2,
        },
        Insn::Exit,
    ];
    let (_, v) = build(&prog);
    assert_eq!(
        v,
        vec![StructuralViolation::BackEdge {
            from: InsnIdx(2),
            to: InsnIdx(3),
            fall_through: true,
        }]
    );
}

#[test]
fn reports_fall_off_end() {
    let (_, v) = build(&[mov(0)]);
    assert_eq!(
        v,
        vec![StructuralViolation::FallsOffEnd { last: InsnIdx(0) }]
    );
}

#[test]
fn reports_jump_into_lddw_tail() {
    let lddw = Insn::LdImm64 {
        dst: Reg::R0,
        src: crate::isa::PseudoSrc::Imm,
        imm: 1,
        next_imm: 0,
    };
    let (_, v) = build(&[jeq(1), lddw, Insn::LdImm64Tail, Insn::Exit]);
    assert_eq!(
        v,
        vec![StructuralViolation::JumpIntoLdImm64 {
            from: InsnIdx(0),
            to: InsnIdx(2)
        }]
    );
}

#[test]
fn splits_subprograms_at_pseudo_call_targets() {
    // 0: call +1 (to 2); 1: exit; 2: r0 = 0; 3: exit
    let call = Insn::Call(crate::isa::CallTarget::Local(1));
    let (cfg, v) = build(&[call, Insn::Exit, mov(0), Insn::Exit]);
    assert!(v.is_empty(), "{v:?}");
    assert_eq!(cfg.subprogs().len(), 2);
    assert_eq!(cfg.subprog_of(InsnIdx(3)), Some(1));
}

#[test]
fn jump_across_subprograms_is_out_of_range() {
    // 0: call +2 (to 3); 1: if r0 == 0 goto +1 (to 3, another subprogram); 2: exit; 3: exit
    let call = Insn::Call(crate::isa::CallTarget::Local(2));
    let (_, v) = build(&[call, jeq(1), Insn::Exit, Insn::Exit]);
    assert_eq!(
        v,
        vec![StructuralViolation::JumpOutOfRange {
            from: InsnIdx(1),
            to: 3
        }]
    );
}
