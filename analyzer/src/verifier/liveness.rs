//! Which registers each instruction's successors may still read: a static backward analysis,
//! so that pruning compares only registers that matter (the kernel does the same with read
//! marks recorded during exploration).

use crate::isa::{AtomicOp, CallTarget, Insn, InsnIdx, Operand, Reg};

/// A set of registers as a bitmask (bit n = rn).
pub type RegSet = u16;

const ARGS: RegSet = 0b11_1110;
const CALLER_SAVED: RegSet = 0b11_1111;
const FP: RegSet = 1 << 10;

fn bit(r: Reg) -> RegSet {
    1 << r.num()
}

fn op_bit(o: Operand) -> RegSet {
    match o {
        Operand::Reg(r) => bit(r),
        Operand::Imm(_) => 0,
    }
}

/// (uses, defs) of one instruction.
pub(crate) fn uses_defs(insn: &Insn) -> (RegSet, RegSet) {
    match *insn {
        Insn::Alu {
            op: crate::isa::AluOp::Mov,
            dst,
            src,
            ..
        } => (op_bit(src), bit(dst)),
        Insn::Alu { dst, src, .. } => (bit(dst) | op_bit(src), bit(dst)),
        Insn::MovSx { dst, src, .. } | Insn::AddrSpaceCast { dst, src, .. } => (bit(src), bit(dst)),
        Insn::Neg { dst, .. } | Insn::Endian { dst, .. } => (bit(dst), bit(dst)),
        Insn::Jmp { dst, src, .. } => (bit(dst) | op_bit(src), 0),
        Insn::Ja { .. } | Insn::MayGoto { .. } | Insn::LdImm64Tail => (0, 0),
        Insn::Call(CallTarget::Helper(_))
        | Insn::Call(CallTarget::Kfunc { .. })
        | Insn::Call(CallTarget::Local(_)) => (ARGS, CALLER_SAVED),
        Insn::Callx { reg } => (ARGS | bit(reg), CALLER_SAVED),
        Insn::Exit => (1, 0),
        Insn::Load { dst, src, .. } => (bit(src), bit(dst)),
        Insn::Store { dst, src, .. } => (bit(dst) | op_bit(src), 0),
        Insn::Atomic {
            op: AtomicOp::LoadAcquire,
            dst,
            src,
            ..
        } => (bit(src), bit(dst)),
        Insn::Atomic {
            op: AtomicOp::CmpXchg,
            dst,
            src,
            ..
        } => (bit(dst) | bit(src) | 1, 1),
        Insn::Atomic { op, dst, src, .. } => {
            (bit(dst) | bit(src), if op.fetches() { bit(src) } else { 0 })
        }
        Insn::LdImm64 { dst, .. } => (0, bit(dst)),
        Insn::LdAbs { .. } => (bit(Reg::R6), CALLER_SAVED),
        Insn::LdInd { src, .. } => (bit(Reg::R6) | bit(src), CALLER_SAVED),
    }
}

/// Registers live on entry to each instruction.
pub fn live_in(insns: &[Insn]) -> Vec<RegSet> {
    let n = insns.len();
    let succs = |at: usize| -> [Option<usize>; 2] {
        let insn = &insns[at];
        let next =
            (insn.falls_through() && !matches!(insn, Insn::Exit)).then_some(at + insn.slots());
        let jump = insn
            .jump_offset()
            .and_then(|off| InsnIdx(at as u32).jump(off))
            .map(|t| t.idx());
        [next.filter(|&x| x < n), jump.filter(|&x| x < n)]
    };
    let mut live = vec![0 as RegSet; n];
    // Round-robin backward passes until nothing changes; programs are small enough that this
    // converges in a handful of passes (loops add one pass per nesting level).
    let mut changed = true;
    while changed {
        changed = false;
        for at in (0..n).rev() {
            let (uses, defs) = uses_defs(&insns[at]);
            let out = succs(at).iter().flatten().fold(0, |acc, &s| acc | live[s]);
            let new = uses | (out & !defs) | FP;
            if new != live[at] {
                live[at] = new;
                changed = true;
            }
        }
    }
    live
}
