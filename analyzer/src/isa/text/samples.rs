//! A generated program with every instruction form, for round-trip and disassembler tests.
//!
//! It enumerates every operation × width × operand kind, over a spread of registers,
//! offsets and immediates that includes the extremes (`i16::MIN`, `i32::MIN`, `-1`), every
//! pseudo source of `lddw` and every call kind. The result is a decoded program: each `lddw`
//! is followed by its [`Insn::LdImm64Tail`], so `encode` and `decode` accept it as it is.

use crate::isa::{AluOp, AtomicOp, CallTarget, Cond, EndianOp, Insn, Operand, PseudoSrc, Reg};
use crate::isa::{Size, Width};

const REG_PAIRS: [(Reg, Reg); 4] = [
    (Reg::R1, Reg::R2),
    (Reg::R0, Reg::R10),
    (Reg::R10, Reg::R0),
    (Reg::R9, Reg::R5),
];
const IMMS: [i32; 10] = [
    0,
    1,
    -1,
    5,
    16,
    0x100,
    -0x1234,
    0x7fff_ffff,
    i32::MIN,
    0x1234_5678,
];
const OFFS: [i16; 6] = [0, 1, -1, -8, i16::MAX, i16::MIN];
const WIDTHS: [Width; 2] = [Width::W64, Width::W32];
const SIZES: [Size; 4] = [Size::B, Size::H, Size::W, Size::DW];
const ALU_OPS: [AluOp; 14] = [
    AluOp::Add,
    AluOp::Sub,
    AluOp::Mul,
    AluOp::Div,
    AluOp::SDiv,
    AluOp::Or,
    AluOp::And,
    AluOp::Lsh,
    AluOp::Rsh,
    AluOp::Mod,
    AluOp::SMod,
    AluOp::Xor,
    AluOp::Mov,
    AluOp::Arsh,
];
const CONDS: [Cond; 11] = [
    Cond::Eq,
    Cond::Gt,
    Cond::Ge,
    Cond::Set,
    Cond::Ne,
    Cond::SGt,
    Cond::SGe,
    Cond::Lt,
    Cond::Le,
    Cond::SLt,
    Cond::SLe,
];
const PSEUDO_SRCS: [PseudoSrc; 7] = [
    PseudoSrc::Imm,
    PseudoSrc::MapFd,
    PseudoSrc::MapValue,
    PseudoSrc::BtfId,
    PseudoSrc::Func,
    PseudoSrc::MapIdx,
    PseudoSrc::MapIdxValue,
];

/// Every instruction form over a spread of field values (a few thousand instructions).
pub fn samples() -> Vec<Insn> {
    let mut res = Vec::new();
    alu(&mut res);
    jmp(&mut res);
    mem(&mut res);
    ld(&mut res);
    res
}

fn operands(src: Reg) -> impl Iterator<Item = Operand> {
    std::iter::once(Operand::Reg(src)).chain(IMMS.into_iter().map(Operand::Imm))
}

fn alu(res: &mut Vec<Insn>) {
    for width in WIDTHS {
        for op in ALU_OPS {
            for (dst, src) in REG_PAIRS {
                res.extend(operands(src).map(|src| Insn::Alu {
                    width,
                    op,
                    dst,
                    src,
                }));
            }
        }
        for (dst, src) in REG_PAIRS {
            res.push(Insn::Neg { width, dst });
            let bits: &[u8] = if width == Width::W64 {
                &[8, 16, 32]
            } else {
                &[8, 16]
            };
            for &from_bits in bits {
                res.push(Insn::MovSx {
                    width,
                    dst,
                    src,
                    from_bits,
                });
            }
        }
    }
    for (dst, src) in REG_PAIRS {
        for op in [EndianOp::ToLe, EndianOp::ToBe, EndianOp::Swap] {
            for bits in [16, 32, 64] {
                res.push(Insn::Endian { op, dst, bits });
            }
        }
        // Linux accepts only casts between address spaces 0 and 1; the decoder rejects others.
        for (dst_as, src_as) in [(1, 0), (0, 1)] {
            res.push(Insn::AddrSpaceCast {
                dst,
                src,
                dst_as,
                src_as,
            });
        }
    }
}

fn jmp(res: &mut Vec<Insn>) {
    for off in OFFS {
        res.push(Insn::Ja {
            off: off.into(),
            long: false,
        });
        res.push(Insn::MayGoto { off });
    }
    for off in IMMS {
        res.push(Insn::Ja { off, long: true });
    }
    for width in WIDTHS {
        for cond in CONDS {
            for (dst, src) in REG_PAIRS {
                for off in [0, -4, i16::MAX, i16::MIN] {
                    res.extend(operands(src).map(|src| Insn::Jmp {
                        width,
                        cond,
                        dst,
                        src,
                        off,
                    }));
                }
            }
        }
    }
    for imm in IMMS {
        res.push(Insn::Call(CallTarget::Helper(imm)));
        res.push(Insn::Call(CallTarget::Local(imm)));
        for module in [0, 1, -1] {
            res.push(Insn::Call(CallTarget::Kfunc {
                btf_id: imm,
                module,
            }));
        }
    }
    for (reg, _) in REG_PAIRS {
        res.push(Insn::Callx { reg });
    }
    res.push(Insn::Exit);
}

fn mem(res: &mut Vec<Insn>) {
    for size in SIZES {
        for (dst, src) in REG_PAIRS {
            for off in OFFS {
                res.push(Insn::Load {
                    size,
                    sign_extend: false,
                    dst,
                    src,
                    off,
                });
                if size != Size::DW {
                    res.push(Insn::Load {
                        size,
                        sign_extend: true,
                        dst,
                        src,
                        off,
                    });
                }
                res.extend(operands(src).map(|src| Insn::Store {
                    size,
                    dst,
                    off,
                    src,
                }));
                for op in [AtomicOp::LoadAcquire, AtomicOp::StoreRelease] {
                    res.push(Insn::Atomic {
                        size,
                        op,
                        dst,
                        src,
                        off,
                    });
                }
                if matches!(size, Size::W | Size::DW) {
                    for op in atomic_rmw_ops() {
                        res.push(Insn::Atomic {
                            size,
                            op,
                            dst,
                            src,
                            off,
                        });
                    }
                }
            }
        }
    }
}

fn atomic_rmw_ops() -> impl Iterator<Item = AtomicOp> {
    [false, true]
        .into_iter()
        .flat_map(|fetch| {
            [
                AtomicOp::Add { fetch },
                AtomicOp::Or { fetch },
                AtomicOp::And { fetch },
                AtomicOp::Xor { fetch },
            ]
        })
        .chain([AtomicOp::Xchg, AtomicOp::CmpXchg])
}

fn ld(res: &mut Vec<Insn>) {
    for src in PSEUDO_SRCS {
        for (dst, _) in REG_PAIRS {
            for (imm, next_imm) in [
                (0, 0),
                (1, 0),
                (-1, -1),
                (0x5566_7788, 0x1122_3344),
                (0, i32::MIN),
            ] {
                res.push(Insn::LdImm64 {
                    dst,
                    src,
                    imm,
                    next_imm,
                });
                res.push(Insn::LdImm64Tail);
            }
        }
    }
    for size in [Size::B, Size::H, Size::W] {
        for imm in IMMS {
            res.push(Insn::LdAbs { size, imm });
            for (_, src) in REG_PAIRS {
                res.push(Insn::LdInd { size, src, imm });
            }
        }
    }
}
