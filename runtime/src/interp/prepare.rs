//! Pre-decoding for the interpreter: a program becomes a flat array of 16-byte [`Op`]s whose
//! dense tag ([`K`]) folds the operation, operand kind and width, so that the run loop in the
//! parent module dispatches through one jump table and decodes nothing.

use crate::helpers::{FUNC_PTR_TAG, MAP_PTR_TAG};
use crate::kfuncs;
use crate::program::Program;
use bpfvet_analyzer::isa::{
    AluOp, AtomicOp, CallTarget, Cond, EndianOp, Insn, InsnIdx, Operand, PseudoSrc, Size, Width,
};

/// Operation tags. `I`/`R` suffix: immediate or register source; `32`/`64`: width.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u8)]
pub(super) enum K {
    Add32I,
    Add32R,
    Add64I,
    Add64R,
    Sub32I,
    Sub32R,
    Sub64I,
    Sub64R,
    Mul32I,
    Mul32R,
    Mul64I,
    Mul64R,
    Div32I,
    Div32R,
    Div64I,
    Div64R,
    SDiv32I,
    SDiv32R,
    SDiv64I,
    SDiv64R,
    Mod32I,
    Mod32R,
    Mod64I,
    Mod64R,
    SMod32I,
    SMod32R,
    SMod64I,
    SMod64R,
    Or32I,
    Or32R,
    Or64I,
    Or64R,
    And32I,
    And32R,
    And64I,
    And64R,
    Lsh32I,
    Lsh32R,
    Lsh64I,
    Lsh64R,
    Rsh32I,
    Rsh32R,
    Rsh64I,
    Rsh64R,
    Arsh32I,
    Arsh32R,
    Arsh64I,
    Arsh64R,
    Xor32I,
    Xor32R,
    Xor64I,
    Xor64R,
    Mov32I,
    Mov32R,
    Mov64I,
    Mov64R,
    Neg32,
    Neg64,
    MovSx32B,
    MovSx32H,
    MovSx64B,
    MovSx64H,
    MovSx64W,
    Le16,
    Le32,
    Le64,
    Be16,
    Be32,
    Be64,
    /// `dst = imm` (a resolved `lddw`); skips the tail slot.
    LdImm64,
    /// `dst = address of value of map table entry `imm` + `off``; skips the tail slot.
    LdMapValue,
    LdxB,
    LdxH,
    LdxW,
    LdxDW,
    LdxSB,
    LdxSH,
    LdxSW,
    /// A probe load (`BPF_PROBE_MEM`, see [`Program`]): `aux` = size in bytes, plus
    /// [`PROBE_SX`] when sign-extending.
    LdxProbe,
    StB,
    StH,
    StW,
    StDW,
    StxB,
    StxH,
    StxW,
    StxDW,
    Atomic32,
    Atomic64,
    LoadAcq,
    StoreRel,
    Ja,
    Jeq64I,
    Jeq64R,
    Jne64I,
    Jne64R,
    Jgt64I,
    Jgt64R,
    Jge64I,
    Jge64R,
    Jlt64I,
    Jlt64R,
    Jle64I,
    Jle64R,
    Jset64I,
    Jset64R,
    Jsgt64I,
    Jsgt64R,
    Jsge64I,
    Jsge64R,
    Jslt64I,
    Jslt64R,
    Jsle64I,
    Jsle64R,
    Jeq32I,
    Jeq32R,
    Jne32I,
    Jne32R,
    Jgt32I,
    Jgt32R,
    Jge32I,
    Jge32R,
    Jlt32I,
    Jlt32R,
    Jle32I,
    Jle32R,
    Jset32I,
    Jset32R,
    Jsgt32I,
    Jsgt32R,
    Jsge32I,
    Jsge32R,
    Jslt32I,
    Jslt32R,
    Jsle32I,
    Jsle32R,
    MayGoto,
    CallHelper,
    CallLocal,
    Callx,
    Exit,
    LdAbs,
    LdInd,
    /// Executing this faults: `imm` holds the payload (see [`Trap`]).
    Trap,
}

/// Why a trap op faults.
#[derive(Clone, Copy, Debug)]
#[repr(u8)]
pub(super) enum Trap {
    /// A jump (or fall-through) to slot `imm`, which is outside the program or a `lddw` tail.
    BadJump,
    /// A `lddw` naming map table entry `imm`, which does not exist.
    BadMap,
    Kfunc,
    AddrSpaceCast,
    BtfId,
}

/// One pre-decoded slot (16 bytes).
#[derive(Clone, Copy, Debug)]
pub(super) struct Op {
    pub(super) k: K,
    pub(super) dst: u8,
    pub(super) src: u8,
    /// Memory ops: `off`; atomics: the atomic op code; traps: the [`Trap`] kind.
    pub(super) aux: u8,
    /// Memory ops: the offset; jumps and local calls: the absolute target slot.
    pub(super) off: i32,
    /// Immediate, sign-extended to 64 bits (the `lddw` value, the helper id, ...).
    pub(super) imm: u64,
}

const _: () = assert!(std::mem::size_of::<Op>() == 16);

/// A program pre-decoded for the interpreter.
#[derive(Clone, Debug)]
pub struct Prepared {
    pub(super) ops: Vec<Op>,
    pub(super) maps: Vec<crate::maps::MapId>,
    /// The extern names of the kfunc calls the runtime does not implement; a `Trap::Kfunc`
    /// op's payload indexes it (an index past the end: a call the object names no kfunc for).
    pub(super) unsupported_kfuncs: Vec<String>,
}

fn alu_k(op: AluOp, width: Width, reg: bool) -> K {
    use K::*;
    let four = match op {
        AluOp::Add => [Add32I, Add32R, Add64I, Add64R],
        AluOp::Sub => [Sub32I, Sub32R, Sub64I, Sub64R],
        AluOp::Mul => [Mul32I, Mul32R, Mul64I, Mul64R],
        AluOp::Div => [Div32I, Div32R, Div64I, Div64R],
        AluOp::SDiv => [SDiv32I, SDiv32R, SDiv64I, SDiv64R],
        AluOp::Mod => [Mod32I, Mod32R, Mod64I, Mod64R],
        AluOp::SMod => [SMod32I, SMod32R, SMod64I, SMod64R],
        AluOp::Or => [Or32I, Or32R, Or64I, Or64R],
        AluOp::And => [And32I, And32R, And64I, And64R],
        AluOp::Lsh => [Lsh32I, Lsh32R, Lsh64I, Lsh64R],
        AluOp::Rsh => [Rsh32I, Rsh32R, Rsh64I, Rsh64R],
        AluOp::Arsh => [Arsh32I, Arsh32R, Arsh64I, Arsh64R],
        AluOp::Xor => [Xor32I, Xor32R, Xor64I, Xor64R],
        AluOp::Mov => [Mov32I, Mov32R, Mov64I, Mov64R],
    };
    four[usize::from(width == Width::W64) * 2 + usize::from(reg)]
}

fn jmp_k(cond: Cond, width: Width, reg: bool) -> K {
    use K::*;
    let four = match cond {
        Cond::Eq => [Jeq32I, Jeq32R, Jeq64I, Jeq64R],
        Cond::Ne => [Jne32I, Jne32R, Jne64I, Jne64R],
        Cond::Gt => [Jgt32I, Jgt32R, Jgt64I, Jgt64R],
        Cond::Ge => [Jge32I, Jge32R, Jge64I, Jge64R],
        Cond::Lt => [Jlt32I, Jlt32R, Jlt64I, Jlt64R],
        Cond::Le => [Jle32I, Jle32R, Jle64I, Jle64R],
        Cond::Set => [Jset32I, Jset32R, Jset64I, Jset64R],
        Cond::SGt => [Jsgt32I, Jsgt32R, Jsgt64I, Jsgt64R],
        Cond::SGe => [Jsge32I, Jsge32R, Jsge64I, Jsge64R],
        Cond::SLt => [Jslt32I, Jslt32R, Jslt64I, Jslt64R],
        Cond::SLe => [Jsle32I, Jsle32R, Jsle64I, Jsle64R],
    };
    four[usize::from(width == Width::W64) * 2 + usize::from(reg)]
}

/// Sign-extension flag of a probe load's `Op::aux`.
pub(super) const PROBE_SX: u8 = 0x80;

/// Atomic op codes in `Op::aux`.
pub(super) const AT_ADD: u8 = 0;
pub(super) const AT_OR: u8 = 1;
pub(super) const AT_AND: u8 = 2;
pub(super) const AT_XOR: u8 = 3;
pub(super) const AT_XCHG: u8 = 4;
pub(super) const AT_CMPXCHG: u8 = 5;
pub(super) const AT_FETCH: u8 = 0x80;

fn op(k: K) -> Op {
    Op {
        k,
        dst: 0,
        src: 0,
        aux: 0,
        off: 0,
        imm: 0,
    }
}

fn trap(t: Trap, payload: u64) -> Op {
    Op {
        aux: t as u8,
        imm: payload,
        ..op(K::Trap)
    }
}

impl Prepared {
    /// Pre-decodes a program. Never fails: anything invalid becomes a trap that faults if
    /// executed, so the interpreter can run (and report on) any decoded program.
    pub fn new(prog: &Program) -> Prepared {
        let insns = prog.insns();
        let n = insns.len();
        let valid = |t: i64| t >= 0 && (t as usize) < n && insns[t as usize] != Insn::LdImm64Tail;
        let mut ops = Vec::with_capacity(n + 1);
        let mut unsupported_kfuncs = Vec::new();
        for (i, insn) in insns.iter().enumerate() {
            let target = |off: i64| -> Result<i32, Op> {
                let t = i as i64 + 1 + off;
                if valid(t) {
                    Ok(t as i32)
                } else {
                    Err(trap(Trap::BadJump, t as u64))
                }
            };
            let o = match *insn {
                Insn::Alu {
                    width,
                    op: aop,
                    dst,
                    src,
                } => match src {
                    Operand::Imm(imm) => Op {
                        dst: dst.num(),
                        imm: imm as i64 as u64,
                        ..op(alu_k(aop, width, false))
                    },
                    Operand::Reg(s) => Op {
                        dst: dst.num(),
                        src: s.num(),
                        ..op(alu_k(aop, width, true))
                    },
                },
                Insn::Neg { width, dst } => Op {
                    dst: dst.num(),
                    ..op(if width == Width::W64 {
                        K::Neg64
                    } else {
                        K::Neg32
                    })
                },
                Insn::MovSx {
                    width,
                    dst,
                    src,
                    from_bits,
                } => {
                    let k = match (width, from_bits) {
                        (Width::W32, 8) => K::MovSx32B,
                        (Width::W32, _) => K::MovSx32H,
                        (Width::W64, 8) => K::MovSx64B,
                        (Width::W64, 16) => K::MovSx64H,
                        (Width::W64, _) => K::MovSx64W,
                    };
                    Op {
                        dst: dst.num(),
                        src: src.num(),
                        ..op(k)
                    }
                }
                Insn::Endian { op: eop, dst, bits } => {
                    let k = match (eop, bits) {
                        (EndianOp::ToLe, 16) => K::Le16,
                        (EndianOp::ToLe, 32) => K::Le32,
                        (EndianOp::ToLe, _) => K::Le64,
                        (_, 16) => K::Be16,
                        (_, 32) => K::Be32,
                        (_, _) => K::Be64,
                    };
                    Op {
                        dst: dst.num(),
                        ..op(k)
                    }
                }
                Insn::AddrSpaceCast { .. } => trap(Trap::AddrSpaceCast, 0),
                Insn::Ja { off, .. } => match target(off.into()) {
                    Ok(t) => Op {
                        off: t,
                        ..op(K::Ja)
                    },
                    Err(e) => e,
                },
                Insn::Jmp {
                    width,
                    cond,
                    dst,
                    src,
                    off,
                } => match target(off.into()) {
                    Ok(t) => match src {
                        Operand::Imm(imm) => Op {
                            dst: dst.num(),
                            off: t,
                            imm: imm as i64 as u64,
                            ..op(jmp_k(cond, width, false))
                        },
                        Operand::Reg(s) => Op {
                            dst: dst.num(),
                            src: s.num(),
                            off: t,
                            ..op(jmp_k(cond, width, true))
                        },
                    },
                    Err(e) => e,
                },
                Insn::MayGoto { off } => match target(off.into()) {
                    Ok(t) => Op {
                        off: t,
                        ..op(K::MayGoto)
                    },
                    Err(e) => e,
                },
                Insn::Call(CallTarget::Helper(id)) => Op {
                    imm: id as i64 as u64,
                    ..op(K::CallHelper)
                },
                Insn::Call(CallTarget::Local(rel)) => match target(rel.into()) {
                    Ok(t) => Op {
                        off: t,
                        ..op(K::CallLocal)
                    },
                    Err(e) => e,
                },
                // A kfunc the runtime implements runs as a helper with a reserved id.
                Insn::Call(CallTarget::Kfunc { .. }) => match prog
                    .kfunc_at(InsnIdx(i as u32))
                    .and_then(kfuncs::Kfunc::by_name)
                {
                    Some(k) => Op {
                        imm: kfuncs::helper_id(k) as i64 as u64,
                        ..op(K::CallHelper)
                    },
                    None => match prog.kfunc_at(InsnIdx(i as u32)) {
                        Some(name) => {
                            unsupported_kfuncs.push(name.to_string());
                            trap(Trap::Kfunc, (unsupported_kfuncs.len() - 1) as u64)
                        }
                        None => trap(Trap::Kfunc, u64::MAX),
                    },
                },
                Insn::Callx { reg } => Op {
                    dst: reg.num(),
                    ..op(K::Callx)
                },
                Insn::Exit => op(K::Exit),
                Insn::Load {
                    size,
                    sign_extend,
                    dst,
                    src,
                    off,
                } => {
                    if prog.is_probe_load(InsnIdx(i as u32)) {
                        let sx = if sign_extend && size != Size::DW {
                            PROBE_SX
                        } else {
                            0
                        };
                        Op {
                            dst: dst.num(),
                            src: src.num(),
                            aux: size.bytes() as u8 | sx,
                            off: off.into(),
                            ..op(K::LdxProbe)
                        }
                    } else {
                        let k = match (size, sign_extend) {
                            (Size::B, false) => K::LdxB,
                            (Size::H, false) => K::LdxH,
                            (Size::W, false) => K::LdxW,
                            (Size::DW, _) => K::LdxDW,
                            (Size::B, true) => K::LdxSB,
                            (Size::H, true) => K::LdxSH,
                            (Size::W, true) => K::LdxSW,
                        };
                        Op {
                            dst: dst.num(),
                            src: src.num(),
                            off: off.into(),
                            ..op(k)
                        }
                    }
                }
                Insn::Store {
                    size,
                    dst,
                    off,
                    src,
                } => {
                    let (ki, kr) = match size {
                        Size::B => (K::StB, K::StxB),
                        Size::H => (K::StH, K::StxH),
                        Size::W => (K::StW, K::StxW),
                        Size::DW => (K::StDW, K::StxDW),
                    };
                    match src {
                        Operand::Imm(imm) => Op {
                            dst: dst.num(),
                            off: off.into(),
                            imm: imm as i64 as u64,
                            ..op(ki)
                        },
                        Operand::Reg(s) => Op {
                            dst: dst.num(),
                            src: s.num(),
                            off: off.into(),
                            ..op(kr)
                        },
                    }
                }
                Insn::Atomic {
                    size,
                    op: aop,
                    dst,
                    src,
                    off,
                } => {
                    let base = Op {
                        dst: dst.num(),
                        src: src.num(),
                        off: off.into(),
                        imm: size.bytes().into(),
                        ..op(K::Atomic64)
                    };
                    let (code, fetch) = match aop {
                        AtomicOp::Add { fetch } => (AT_ADD, fetch),
                        AtomicOp::Or { fetch } => (AT_OR, fetch),
                        AtomicOp::And { fetch } => (AT_AND, fetch),
                        AtomicOp::Xor { fetch } => (AT_XOR, fetch),
                        AtomicOp::Xchg => (AT_XCHG, true),
                        AtomicOp::CmpXchg => (AT_CMPXCHG, true),
                        AtomicOp::LoadAcquire => {
                            ops.push(Op {
                                k: K::LoadAcq,
                                ..base
                            });
                            continue;
                        }
                        AtomicOp::StoreRelease => {
                            ops.push(Op {
                                k: K::StoreRel,
                                ..base
                            });
                            continue;
                        }
                    };
                    let k = if size == Size::W {
                        K::Atomic32
                    } else {
                        K::Atomic64
                    };
                    Op {
                        k,
                        aux: code | if fetch { AT_FETCH } else { 0 },
                        ..base
                    }
                }
                Insn::LdImm64 {
                    dst,
                    src,
                    imm,
                    next_imm,
                } => {
                    let d = dst.num();
                    match src {
                        PseudoSrc::Imm => Op {
                            dst: d,
                            imm: Insn::imm64(imm, next_imm),
                            ..op(K::LdImm64)
                        },
                        PseudoSrc::MapIdx | PseudoSrc::MapFd => {
                            match prog.maps().get(imm as u32 as usize) {
                                Some(m) => Op {
                                    dst: d,
                                    imm: MAP_PTR_TAG | u64::from(m.0),
                                    ..op(K::LdImm64)
                                },
                                None => trap(Trap::BadMap, imm as u64),
                            }
                        }
                        PseudoSrc::MapIdxValue | PseudoSrc::MapValue => {
                            if prog.maps().get(imm as u32 as usize).is_some() {
                                Op {
                                    dst: d,
                                    off: next_imm,
                                    imm: u64::from(imm as u32),
                                    ..op(K::LdMapValue)
                                }
                            } else {
                                trap(Trap::BadMap, imm as u64)
                            }
                        }
                        PseudoSrc::Func => match target(imm.into()) {
                            Ok(t) => Op {
                                dst: d,
                                imm: FUNC_PTR_TAG | t as u64,
                                ..op(K::LdImm64)
                            },
                            Err(e) => e,
                        },
                        PseudoSrc::BtfId => trap(Trap::BtfId, imm as u64),
                    }
                }
                Insn::LdImm64Tail => trap(Trap::BadJump, i as u64),
                Insn::LdAbs { size, imm } => Op {
                    imm: imm as i64 as u64,
                    aux: size.bytes() as u8,
                    ..op(K::LdAbs)
                },
                Insn::LdInd { size, src, imm } => Op {
                    src: src.num(),
                    imm: imm as i64 as u64,
                    aux: size.bytes() as u8,
                    ..op(K::LdInd)
                },
            };
            ops.push(o);
        }
        // Falling off the end lands here.
        ops.push(trap(Trap::BadJump, n as u64));
        Prepared {
            ops,
            maps: prog.maps().to_vec(),
            unsupported_kfuncs,
        }
    }
}
