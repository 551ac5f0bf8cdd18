//! Bytes to [`Insn`]s, strictly: every reserved field must be zero and every opcode known.

use super::insn::*;
use super::opcode::*;
use std::fmt;

/// Why a slot could not be decoded.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The byte length is not a multiple of 8.
    TrailingBytes { len: usize },
    /// No instruction has this opcode.
    UnknownOpcode { code: u8 },
    /// A register field names a register above r10.
    BadRegister { reg: u8 },
    /// A field the opcode does not use is not zero.
    ReservedField { field: &'static str, value: i64 },
    /// A field holds a value the opcode does not allow (e.g. a byte-swap width of 8).
    BadField { field: &'static str, value: i64 },
    /// A `lddw` is the last slot, so its second half is missing.
    TruncatedLdImm64,
    /// The second slot of a `lddw` is not a zero-opcode continuation.
    BadLdImm64Tail,
}

/// A decode error, with the slot it happened at.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DecodeError {
    pub insn: InsnIdx,
    /// The opcode byte of the slot, for messages that name the instruction class.
    pub code: u8,
    pub kind: DecodeErrorKind,
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "insn {}: ", self.insn)?;
        match self.kind {
            DecodeErrorKind::TrailingBytes { len } => {
                write!(f, "code is {len} bytes, not a multiple of 8")
            }
            DecodeErrorKind::UnknownOpcode { code } => write!(f, "unknown opcode {code:#04x}"),
            DecodeErrorKind::BadRegister { reg } => write!(f, "invalid register r{reg}"),
            DecodeErrorKind::ReservedField { field, value } => {
                write!(f, "reserved field {field} is {value:#x}, must be 0")
            }
            DecodeErrorKind::BadField { field, value } => {
                write!(f, "invalid {field} value {value:#x}")
            }
            DecodeErrorKind::TruncatedLdImm64 => write!(f, "lddw is missing its second slot"),
            DecodeErrorKind::BadLdImm64Tail => {
                write!(
                    f,
                    "second slot of lddw has non-zero opcode, registers or offset"
                )
            }
        }
    }
}

impl std::error::Error for DecodeError {}

impl DecodeError {
    /// The kernel verifier's log line for the same defect.
    pub fn kernel_message(&self) -> String {
        let class = match self.code & 0x07 {
            CLASS_LD => "BPF_LD",
            CLASS_LDX => "BPF_LDX",
            CLASS_ST => "BPF_ST",
            CLASS_STX => "BPF_STX",
            CLASS_ALU | CLASS_ALU64 => match self.code & 0xf0 {
                ALU_NEG => "BPF_NEG",
                ALU_END => "BPF_END",
                ALU_MOV => "BPF_MOV",
                _ => "BPF_ALU",
            },
            _ => match self.code & 0xf0 {
                JMP_JA => "BPF_JA",
                JMP_CALL => "BPF_CALL",
                JMP_EXIT => "BPF_EXIT",
                _ => "BPF_JMP/JMP32",
            },
        };
        match self.kind {
            DecodeErrorKind::TrailingBytes { .. } => "invalid bpf_insn size".to_string(),
            DecodeErrorKind::UnknownOpcode { code } => format!("unknown opcode {code:02x}"),
            DecodeErrorKind::BadRegister { reg } => format!("R{reg} is invalid"),
            DecodeErrorKind::ReservedField { .. } | DecodeErrorKind::BadField { .. } => {
                format!("{class} uses reserved fields")
            }
            DecodeErrorKind::TruncatedLdImm64 | DecodeErrorKind::BadLdImm64Tail => {
                "invalid bpf_ld_imm64 insn".to_string()
            }
        }
    }
}

/// One slot's raw fields.
#[derive(Clone, Copy, Debug)]
struct Raw {
    code: u8,
    dst: u8,
    src: u8,
    off: i16,
    imm: i32,
}

impl Raw {
    fn from_bytes(b: &[u8; 8]) -> Raw {
        Raw {
            code: b[0],
            dst: b[1] & 0x0f,
            src: b[1] >> 4,
            off: i16::from_le_bytes([b[2], b[3]]),
            imm: i32::from_le_bytes([b[4], b[5], b[6], b[7]]),
        }
    }
}

type Res<T> = Result<T, DecodeErrorKind>;

fn reg(n: u8) -> Res<Reg> {
    Reg::new(n).ok_or(DecodeErrorKind::BadRegister { reg: n })
}

fn zero(field: &'static str, value: i64) -> Res<()> {
    if value == 0 {
        Ok(())
    } else {
        Err(DecodeErrorKind::ReservedField { field, value })
    }
}

fn size_of(code: u8) -> Size {
    match code & 0x18 {
        SIZE_W => Size::W,
        SIZE_H => Size::H,
        SIZE_B => Size::B,
        _ => Size::DW,
    }
}

/// Decodes a whole program: one [`Insn`] per 8-byte slot, `lddw` fused (see the module doc).
pub fn decode(bytes: &[u8]) -> Result<Vec<Insn>, DecodeError> {
    let n_slots = bytes.len() / 8;
    if bytes.len() % 8 != 0 {
        return Err(DecodeError {
            insn: InsnIdx(u32::try_from(n_slots).unwrap_or(u32::MAX)),
            code: 0,
            kind: DecodeErrorKind::TrailingBytes { len: bytes.len() },
        });
    }
    let mut res = Vec::with_capacity(n_slots);
    let mut slots = bytes.chunks_exact(8).map(|c| {
        let mut a = [0u8; 8];
        a.copy_from_slice(c);
        a
    });
    let mut idx = 0u32;
    while let Some(slot) = slots.next() {
        let at = InsnIdx(idx);
        let err = |kind| DecodeError {
            insn: at,
            code: slot[0],
            kind,
        };
        let insn = decode_one(&slot).map_err(err)?;
        res.push(insn);
        if let Insn::LdImm64 { dst, src, imm, .. } = insn {
            let tail = slots.next().ok_or(err(DecodeErrorKind::TruncatedLdImm64))?;
            let t = Raw::from_bytes(&tail);
            if t.code != 0 || t.dst != 0 || t.src != 0 || t.off != 0 {
                return Err(DecodeError {
                    insn: InsnIdx(idx),
                    code: LDDW,
                    kind: DecodeErrorKind::BadLdImm64Tail,
                });
            }
            res[idx as usize] = Insn::LdImm64 {
                dst,
                src,
                imm,
                next_imm: t.imm,
            };
            res.push(Insn::LdImm64Tail);
            idx += 1;
        }
        idx += 1;
    }
    Ok(res)
}

/// Decodes one slot. A `lddw` comes back with `next_imm` 0: only [`decode`] sees the second
/// slot.
pub fn decode_one(bytes: &[u8; 8]) -> Result<Insn, DecodeErrorKind> {
    let r = Raw::from_bytes(bytes);
    match r.code & 0x07 {
        CLASS_ALU | CLASS_ALU64 => decode_alu(r),
        CLASS_JMP | CLASS_JMP32 => decode_jmp(r),
        CLASS_LD => decode_ld(r),
        CLASS_LDX => decode_ldx(r),
        CLASS_ST => decode_st(r),
        _ => decode_stx(r),
    }
}

fn decode_alu(r: Raw) -> Res<Insn> {
    let width = if r.code & 0x07 == CLASS_ALU64 {
        Width::W64
    } else {
        Width::W32
    };
    let is_x = r.code & SRC_X != 0;
    let dst = reg(r.dst)?;
    let unknown = DecodeErrorKind::UnknownOpcode { code: r.code };
    let op = match r.code & 0xf0 {
        ALU_ADD => AluOp::Add,
        ALU_SUB => AluOp::Sub,
        ALU_MUL => AluOp::Mul,
        ALU_DIV | ALU_MOD => {
            let signed = match r.off {
                0 => false,
                1 => true,
                v => {
                    return Err(DecodeErrorKind::BadField {
                        field: "off",
                        value: v.into(),
                    })
                }
            };
            return operand_insn(
                r,
                is_x,
                width,
                dst,
                match (r.code & 0xf0 == ALU_DIV, signed) {
                    (true, false) => AluOp::Div,
                    (true, true) => AluOp::SDiv,
                    (false, false) => AluOp::Mod,
                    (false, true) => AluOp::SMod,
                },
            );
        }
        ALU_OR => AluOp::Or,
        ALU_AND => AluOp::And,
        ALU_LSH => AluOp::Lsh,
        ALU_RSH => AluOp::Rsh,
        ALU_XOR => AluOp::Xor,
        ALU_ARSH => AluOp::Arsh,
        ALU_NEG => {
            if is_x {
                return Err(unknown);
            }
            zero("src", r.src.into())?;
            zero("off", r.off.into())?;
            zero("imm", r.imm.into())?;
            return Ok(Insn::Neg { width, dst });
        }
        ALU_MOV => {
            if is_x && r.off != 0 {
                return decode_mov_special(r, width, dst);
            }
            AluOp::Mov
        }
        ALU_END => return decode_end(r, width, is_x, dst),
        _ => return Err(unknown),
    };
    zero("off", r.off.into())?;
    operand_insn(r, is_x, width, dst, op)
}

/// Builds `Alu` once `off` has been checked: a register source needs `imm` 0, an immediate
/// source needs `src` 0.
fn operand_insn(r: Raw, is_x: bool, width: Width, dst: Reg, op: AluOp) -> Res<Insn> {
    let src = if is_x {
        zero("imm", r.imm.into())?;
        Operand::Reg(reg(r.src)?)
    } else {
        zero("src", r.src.into())?;
        Operand::Imm(r.imm)
    };
    Ok(Insn::Alu {
        width,
        op,
        dst,
        src,
    })
}

/// `mov` with a register source and a non-zero offset: `movsx` or `addr_space_cast`.
fn decode_mov_special(r: Raw, width: Width, dst: Reg) -> Res<Insn> {
    let src = reg(r.src)?;
    match (width, r.off) {
        (Width::W64, 8 | 16 | 32) | (Width::W32, 8 | 16) => {
            zero("imm", r.imm.into())?;
            Ok(Insn::MovSx {
                width,
                dst,
                src,
                from_bits: r.off as u8,
            })
        }
        // `addr_space_cast`: Linux accepts only casts between address spaces 0 and 1
        // (imm 1 or 1 << 16). Anything else, imm 0 included, is a `mov` with a reserved
        // offset set, which RFC 9669 rejects (conformance `unused-mov64_reg-offset`).
        (Width::W64, 1) if r.imm == 1 || r.imm == 1 << 16 => {
            let imm = r.imm as u32;
            Ok(Insn::AddrSpaceCast {
                dst,
                src,
                dst_as: (imm >> 16) as u16,
                src_as: imm as u16,
            })
        }
        (_, v) => Err(DecodeErrorKind::BadField {
            field: "off",
            value: v.into(),
        }),
    }
}

fn decode_end(r: Raw, width: Width, is_x: bool, dst: Reg) -> Res<Insn> {
    let op = match (width, is_x) {
        (Width::W32, false) => EndianOp::ToLe,
        (Width::W32, true) => EndianOp::ToBe,
        (Width::W64, false) => EndianOp::Swap,
        (Width::W64, true) => return Err(DecodeErrorKind::UnknownOpcode { code: r.code }),
    };
    zero("src", r.src.into())?;
    zero("off", r.off.into())?;
    match r.imm {
        16 | 32 | 64 => Ok(Insn::Endian {
            op,
            dst,
            bits: r.imm as u8,
        }),
        v => Err(DecodeErrorKind::BadField {
            field: "imm",
            value: v.into(),
        }),
    }
}

fn decode_jmp(r: Raw) -> Res<Insn> {
    let width = if r.code & 0x07 == CLASS_JMP {
        Width::W64
    } else {
        Width::W32
    };
    let is_x = r.code & SRC_X != 0;
    let unknown = DecodeErrorKind::UnknownOpcode { code: r.code };
    let cond = match r.code & 0xf0 {
        JMP_JA => {
            if is_x {
                return Err(unknown);
            }
            zero("dst", r.dst.into())?;
            zero("src", r.src.into())?;
            return match width {
                Width::W64 => {
                    zero("imm", r.imm.into())?;
                    Ok(Insn::Ja {
                        off: r.off.into(),
                        long: false,
                    })
                }
                Width::W32 => {
                    zero("off", r.off.into())?;
                    Ok(Insn::Ja {
                        off: r.imm,
                        long: true,
                    })
                }
            };
        }
        JMP_CALL | JMP_EXIT | JMP_JCOND if width == Width::W32 => return Err(unknown),
        JMP_CALL => return decode_call(r, is_x),
        JMP_EXIT => {
            if is_x {
                return Err(unknown);
            }
            zero("dst", r.dst.into())?;
            zero("src", r.src.into())?;
            zero("off", r.off.into())?;
            zero("imm", r.imm.into())?;
            return Ok(Insn::Exit);
        }
        JMP_JCOND => {
            // Only `may_goto` (src 0) is defined.
            if is_x {
                return Err(unknown);
            }
            zero("dst", r.dst.into())?;
            zero("src", r.src.into())?;
            zero("imm", r.imm.into())?;
            return Ok(Insn::MayGoto { off: r.off });
        }
        JMP_JEQ => Cond::Eq,
        JMP_JGT => Cond::Gt,
        JMP_JGE => Cond::Ge,
        JMP_JSET => Cond::Set,
        JMP_JNE => Cond::Ne,
        JMP_JSGT => Cond::SGt,
        JMP_JSGE => Cond::SGe,
        JMP_JLT => Cond::Lt,
        JMP_JLE => Cond::Le,
        JMP_JSLT => Cond::SLt,
        JMP_JSLE => Cond::SLe,
        _ => return Err(unknown),
    };
    let dst = reg(r.dst)?;
    let src = if is_x {
        zero("imm", r.imm.into())?;
        Operand::Reg(reg(r.src)?)
    } else {
        zero("src", r.src.into())?;
        Operand::Imm(r.imm)
    };
    Ok(Insn::Jmp {
        width,
        cond,
        dst,
        src,
        off: r.off,
    })
}

fn decode_call(r: Raw, is_x: bool) -> Res<Insn> {
    if is_x {
        // callx: LLVM and the kernel put the target register in `dst`.
        zero("src", r.src.into())?;
        zero("off", r.off.into())?;
        zero("imm", r.imm.into())?;
        return Ok(Insn::Callx { reg: reg(r.dst)? });
    }
    zero("dst", r.dst.into())?;
    match r.src {
        0 => {
            zero("off", r.off.into())?;
            Ok(Insn::Call(CallTarget::Helper(r.imm)))
        }
        PSEUDO_CALL => {
            zero("off", r.off.into())?;
            Ok(Insn::Call(CallTarget::Local(r.imm)))
        }
        PSEUDO_KFUNC_CALL => Ok(Insn::Call(CallTarget::Kfunc {
            btf_id: r.imm,
            module: r.off,
        })),
        v => Err(DecodeErrorKind::BadField {
            field: "src",
            value: v.into(),
        }),
    }
}

fn decode_ld(r: Raw) -> Res<Insn> {
    let size = size_of(r.code);
    match r.code & 0xe0 {
        MODE_IMM if size == Size::DW => {
            let dst = reg(r.dst)?;
            zero("off", r.off.into())?;
            let src = match r.src {
                0 => PseudoSrc::Imm,
                PSEUDO_MAP_FD => PseudoSrc::MapFd,
                PSEUDO_MAP_VALUE => PseudoSrc::MapValue,
                PSEUDO_BTF_ID => PseudoSrc::BtfId,
                PSEUDO_FUNC => PseudoSrc::Func,
                PSEUDO_MAP_IDX => PseudoSrc::MapIdx,
                PSEUDO_MAP_IDX_VALUE => PseudoSrc::MapIdxValue,
                v => {
                    return Err(DecodeErrorKind::BadField {
                        field: "src",
                        value: v.into(),
                    })
                }
            };
            Ok(Insn::LdImm64 {
                dst,
                src,
                imm: r.imm,
                next_imm: 0,
            })
        }
        MODE_ABS | MODE_IND if size != Size::DW => {
            zero("dst", r.dst.into())?;
            zero("off", r.off.into())?;
            if r.code & 0xe0 == MODE_ABS {
                zero("src", r.src.into())?;
                Ok(Insn::LdAbs { size, imm: r.imm })
            } else {
                Ok(Insn::LdInd {
                    size,
                    src: reg(r.src)?,
                    imm: r.imm,
                })
            }
        }
        _ => Err(DecodeErrorKind::UnknownOpcode { code: r.code }),
    }
}

fn decode_ldx(r: Raw) -> Res<Insn> {
    let size = size_of(r.code);
    let sign_extend = match r.code & 0xe0 {
        MODE_MEM => false,
        MODE_MEMSX if size != Size::DW => true,
        _ => return Err(DecodeErrorKind::UnknownOpcode { code: r.code }),
    };
    zero("imm", r.imm.into())?;
    Ok(Insn::Load {
        size,
        sign_extend,
        dst: reg(r.dst)?,
        src: reg(r.src)?,
        off: r.off,
    })
}

fn decode_st(r: Raw) -> Res<Insn> {
    if r.code & 0xe0 != MODE_MEM {
        return Err(DecodeErrorKind::UnknownOpcode { code: r.code });
    }
    zero("src", r.src.into())?;
    Ok(Insn::Store {
        size: size_of(r.code),
        dst: reg(r.dst)?,
        off: r.off,
        src: Operand::Imm(r.imm),
    })
}

fn decode_stx(r: Raw) -> Res<Insn> {
    let size = size_of(r.code);
    let dst = reg(r.dst)?;
    let src = reg(r.src)?;
    match r.code & 0xe0 {
        MODE_MEM => {
            zero("imm", r.imm.into())?;
            Ok(Insn::Store {
                size,
                dst,
                off: r.off,
                src: Operand::Reg(src),
            })
        }
        MODE_ATOMIC => {
            let op = match r.imm {
                ATOMIC_LOAD_ACQ => AtomicOp::LoadAcquire,
                ATOMIC_STORE_REL => AtomicOp::StoreRelease,
                _ if !matches!(size, Size::W | Size::DW) => {
                    return Err(DecodeErrorKind::BadField {
                        field: "imm",
                        value: r.imm.into(),
                    })
                }
                imm => {
                    let fetch = imm & ATOMIC_FETCH != 0;
                    match imm & !ATOMIC_FETCH {
                        ATOMIC_ADD => AtomicOp::Add { fetch },
                        ATOMIC_OR => AtomicOp::Or { fetch },
                        ATOMIC_AND => AtomicOp::And { fetch },
                        ATOMIC_XOR => AtomicOp::Xor { fetch },
                        0xe0 if fetch => AtomicOp::Xchg,
                        0xf0 if fetch => AtomicOp::CmpXchg,
                        _ => {
                            return Err(DecodeErrorKind::BadField {
                                field: "imm",
                                value: imm.into(),
                            })
                        }
                    }
                }
            };
            Ok(Insn::Atomic {
                size,
                op,
                dst,
                src,
                off: r.off,
            })
        }
        _ => Err(DecodeErrorKind::UnknownOpcode { code: r.code }),
    }
}
