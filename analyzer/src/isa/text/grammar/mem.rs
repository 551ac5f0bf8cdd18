//! The forms that touch memory or start with a register: loads, stores, atomics, `lddw`,
//! and ALU assignments (`rN = ...`, `rN += ...`).

use super::P;
use crate::isa::text::lex::{Tok, Token};
use crate::isa::text::parse::{ParseErrorKind, Res};
use crate::isa::{AluOp, AtomicOp, EndianOp, Insn, Operand, PseudoSrc, Reg, Size, Width};

const ALU_OPS: [(&str, AluOp); 13] = [
    ("+=", AluOp::Add),
    ("-=", AluOp::Sub),
    ("*=", AluOp::Mul),
    ("/=", AluOp::Div),
    ("s/=", AluOp::SDiv),
    ("|=", AluOp::Or),
    ("&=", AluOp::And),
    ("<<=", AluOp::Lsh),
    (">>=", AluOp::Rsh),
    ("%=", AluOp::Mod),
    ("s%=", AluOp::SMod),
    ("^=", AluOp::Xor),
    ("s>>=", AluOp::Arsh),
];

impl<'s> P<'_, 's> {
    /// `(u32 *)`, after its `(`: the access size, and whether the type is signed.
    pub(super) fn ty(&mut self) -> Res<(Size, bool)> {
        let t = match self.peek() {
            Some(Tok::Ident(t)) => t,
            _ => return self.fail("a type such as `u32`"),
        };
        let res = match t {
            "u8" => (Size::B, false),
            "u16" => (Size::H, false),
            "u32" => (Size::W, false),
            "u64" => (Size::DW, false),
            "s8" => (Size::B, true),
            "s16" => (Size::H, true),
            "s32" => (Size::W, true),
            _ => return self.fail("a type such as `u32`"),
        };
        self.pos += 1;
        self.expect("*")?;
        self.expect(")")?;
        Ok(res)
    }

    /// `r1 + 0x8` or `r1 - 0x8`.
    fn addr(&mut self) -> Res<(Reg, i16)> {
        let base = self.reg_w(Width::W64)?;
        let neg = if self.eat("-") {
            true
        } else {
            self.expect("+")?;
            false
        };
        let col = self.col();
        let mag = match self.next() {
            Some(Tok::Num(Some(v))) => i128::from(v),
            _ => {
                self.pos -= 1;
                return self.fail("an offset");
            }
        };
        let off = if neg { -mag } else { mag };
        let off = i16::try_from(off).map_err(|_| {
            (
                col,
                ParseErrorKind::OutOfRange {
                    field: "off",
                    value: off,
                },
            )
        })?;
        Ok((base, off))
    }

    /// `(u32 *)(r1 + 0x8)` after its first `(`; unsigned types only.
    pub(super) fn typed_addr(&mut self) -> Res<(Size, Reg, i16)> {
        self.expect("(")?;
        let col = self.col();
        let (size, signed) = self.ty()?;
        if signed {
            return Err((
                col,
                ParseErrorKind::Mismatch("only loads take a signed type"),
            ));
        }
        self.expect("(")?;
        let (base, off) = self.addr()?;
        self.expect(")")?;
        Ok((size, base, off))
    }

    /// The register of a memory access of `size`: `r` for 64 bits, `w` or `r` below.
    pub(super) fn mem_reg(&mut self, size: Size) -> Res<Reg> {
        let col = self.col();
        let (r, w) = self.reg()?;
        if size == Size::DW && w == Width::W32 {
            return Err((
                col,
                ParseErrorKind::Mismatch("a 64-bit access needs an `r` register"),
            ));
        }
        Ok(r)
    }

    /// `*(u32 *)(r1 + 0x8) = w2` or `= 0x5`.
    pub(super) fn store(&mut self) -> Res<Insn> {
        self.expect("*")?;
        let (size, dst, off) = self.typed_addr()?;
        self.expect("=")?;
        let src = if self.try_reg().is_some() {
            Operand::Reg(self.mem_reg(size)?)
        } else {
            Operand::Imm(self.int_in("imm")?)
        };
        Ok(Insn::Store {
            size,
            dst,
            off,
            src,
        })
    }

    /// `lock *(u64 *)(r1 + 0x0) += r2`.
    pub(super) fn lock(&mut self) -> Res<Insn> {
        self.expect("*")?;
        let col = self.col();
        let (size, dst, off) = self.typed_addr()?;
        if !matches!(size, Size::W | Size::DW) {
            return Err((
                col,
                ParseErrorKind::Mismatch("atomic operations are 32 or 64 bits"),
            ));
        }
        let op = match self.next() {
            Some(Tok::Punct("+=")) => AtomicOp::Add { fetch: false },
            Some(Tok::Punct("|=")) => AtomicOp::Or { fetch: false },
            Some(Tok::Punct("&=")) => AtomicOp::And { fetch: false },
            Some(Tok::Punct("^=")) => AtomicOp::Xor { fetch: false },
            _ => {
                self.pos -= 1;
                return self.fail("`+=`, `|=`, `&=` or `^=`");
            }
        };
        let src = self.mem_reg(size)?;
        Ok(Insn::Atomic {
            size,
            op,
            dst,
            src,
            off,
        })
    }

    /// `ld_pseudo r1, SRC, IMM[, NEXT_IMM]`.
    pub(super) fn ld_pseudo(&mut self) -> Res<Insn> {
        let dst = self.reg_w(Width::W64)?;
        self.expect(",")?;
        let col = self.col();
        let src = match self.int_in::<u8>("src")? {
            1 => PseudoSrc::MapFd,
            2 => PseudoSrc::MapValue,
            3 => PseudoSrc::BtfId,
            4 => PseudoSrc::Func,
            5 => PseudoSrc::MapIdx,
            6 => PseudoSrc::MapIdxValue,
            v => {
                return Err((
                    col,
                    ParseErrorKind::OutOfRange {
                        field: "pseudo src",
                        value: v.into(),
                    },
                ))
            }
        };
        self.expect(",")?;
        let imm = self.imm_u32()?;
        let next_imm = if self.eat(",") { self.imm_u32()? } else { 0 };
        Ok(Insn::LdImm64 {
            dst,
            src,
            imm,
            next_imm,
        })
    }

    /// Everything that starts with a register: ALU, moves, loads, fetching atomics.
    pub(super) fn assign(&mut self) -> Res<Insn> {
        let (dst, width) = self.reg()?;
        let op_col = self.col();
        let op = match self.next() {
            Some(Tok::Punct("=")) => AluOp::Mov,
            Some(Tok::Punct(p)) => match ALU_OPS.iter().find(|(s, _)| *s == p) {
                Some(&(_, op)) => op,
                None => {
                    return Err((
                        op_col,
                        ParseErrorKind::Expected {
                            expected: "`=` or `+=`",
                            found: p.into(),
                        },
                    ))
                }
            },
            _ => {
                self.pos -= 1;
                return self.fail("`=` or an operator such as `+=`");
            }
        };
        if op != AluOp::Mov {
            let src = self.operand(width)?;
            return Ok(Insn::Alu {
                width,
                op,
                dst,
                src,
            });
        }
        self.rhs(dst, width)
    }

    /// What follows `dst =`.
    fn rhs(&mut self, dst: Reg, width: Width) -> Res<Insn> {
        let col = self.col();
        let neg_reg = matches!(self.peek(), Some(Tok::Punct("-")))
            && matches!(
                self.toks.get(self.pos + 1),
                Some(Token {
                    tok: Tok::Ident(_),
                    ..
                })
            );
        if neg_reg {
            self.pos += 1;
            let r = self.reg_w(width)?;
            if r != dst {
                return Err((
                    col,
                    ParseErrorKind::Mismatch("`-` needs the destination register"),
                ));
            }
            return Ok(Insn::Neg { width, dst });
        }
        if self.is_num_start() {
            return self.mov_imm(dst, width);
        }
        if self.try_reg().is_some() {
            return Ok(Insn::Alu {
                width,
                op: AluOp::Mov,
                dst,
                src: Operand::Reg(self.reg_w(width)?),
            });
        }
        if self.eat("(") {
            let bits = match self.next() {
                Some(Tok::Ident("s8")) => 8,
                Some(Tok::Ident("s16")) => 16,
                Some(Tok::Ident("s32")) if width == Width::W64 => 32,
                _ => {
                    self.pos -= 1;
                    return self.fail("`s8`, `s16` or `s32`");
                }
            };
            self.expect(")")?;
            let src = self.reg_w(width)?;
            return Ok(Insn::MovSx {
                width,
                dst,
                src,
                from_bits: bits,
            });
        }
        if self.eat("*") {
            return self.load(dst, width);
        }
        let Some(Tok::Ident(word)) = self.peek() else {
            return self.fail("a value");
        };
        self.pos += 1;
        let endian = |op, bits| (op, bits);
        let swap = match word {
            "le16" => Some(endian(EndianOp::ToLe, 16)),
            "le32" => Some(endian(EndianOp::ToLe, 32)),
            "le64" => Some(endian(EndianOp::ToLe, 64)),
            "be16" => Some(endian(EndianOp::ToBe, 16)),
            "be32" => Some(endian(EndianOp::ToBe, 32)),
            "be64" => Some(endian(EndianOp::ToBe, 64)),
            "bswap16" => Some(endian(EndianOp::Swap, 16)),
            "bswap32" => Some(endian(EndianOp::Swap, 32)),
            "bswap64" => Some(endian(EndianOp::Swap, 64)),
            _ => None,
        };
        if let Some((op, bits)) = swap {
            let col = self.col();
            let (r, _) = self.reg()?;
            if r != dst {
                return Err((col, ParseErrorKind::Mismatch("a byte swap works in place")));
            }
            return Ok(Insn::Endian { op, dst, bits });
        }
        match word {
            "addr_space_cast" => {
                self.expect("(")?;
                let src = self.reg_w(Width::W64)?;
                self.expect(",")?;
                let dst_as = self.int_in("dst address space")?;
                self.expect(",")?;
                let src_as = self.int_in("src address space")?;
                self.expect(")")?;
                Ok(Insn::AddrSpaceCast {
                    dst,
                    src,
                    dst_as,
                    src_as,
                })
            }
            "load_acquire" => {
                self.expect("(")?;
                let (size, src, off) = self.typed_addr()?;
                self.expect(")")?;
                self.check_width(col, size, width)?;
                Ok(Insn::Atomic {
                    size,
                    op: AtomicOp::LoadAcquire,
                    dst,
                    src,
                    off,
                })
            }
            "xchg_64" | "xchg32_32" | "cmpxchg_64" | "cmpxchg32_32" => {
                let size = if word.ends_with("_64") {
                    Size::DW
                } else {
                    Size::W
                };
                self.check_width(col, size, width)?;
                self.expect("(")?;
                let (base, off) = self.addr()?;
                self.expect(",")?;
                let cmp = word.starts_with("cmp");
                if cmp {
                    let r0_col = self.col();
                    if self.mem_reg(size)? != Reg::R0 || dst != Reg::R0 {
                        return Err((
                            r0_col,
                            ParseErrorKind::Mismatch("cmpxchg compares and returns r0"),
                        ));
                    }
                    self.expect(",")?;
                }
                let src = self.same_reg(dst, size, !cmp)?;
                self.expect(")")?;
                let op = if cmp {
                    AtomicOp::CmpXchg
                } else {
                    AtomicOp::Xchg
                };
                Ok(Insn::Atomic {
                    size,
                    op,
                    dst: base,
                    src,
                    off,
                })
            }
            _ => {
                let op = match word {
                    "atomic_fetch_add" => AtomicOp::Add { fetch: true },
                    "atomic_fetch_or" => AtomicOp::Or { fetch: true },
                    "atomic_fetch_and" => AtomicOp::And { fetch: true },
                    "atomic_fetch_xor" => AtomicOp::Xor { fetch: true },
                    _ => {
                        self.pos -= 1;
                        return self.fail("a value");
                    }
                };
                self.expect("(")?;
                let (size, base, off) = self.typed_addr()?;
                self.check_width(col, size, width)?;
                self.expect(",")?;
                let src = self.same_reg(dst, size, true)?;
                self.expect(")")?;
                Ok(Insn::Atomic {
                    size,
                    op,
                    dst: base,
                    src,
                    off,
                })
            }
        }
    }

    /// The source register of an atomic, which must be `dst` again when `same`.
    fn same_reg(&mut self, dst: Reg, size: Size, same: bool) -> Res<Reg> {
        let col = self.col();
        let src = self.mem_reg(size)?;
        if same && src != dst {
            return Err((
                col,
                ParseErrorKind::Mismatch("the fetched value lands in the source register"),
            ));
        }
        Ok(src)
    }

    fn check_width(&self, col: u32, size: Size, width: Width) -> Res<()> {
        if size == Size::DW && width == Width::W32 {
            return Err((
                col,
                ParseErrorKind::Mismatch("a 64-bit access needs an `r` register"),
            ));
        }
        Ok(())
    }

    /// `dst = 0x5` or `dst = 0x1122334455667788 ll`.
    fn mov_imm(&mut self, dst: Reg, width: Width) -> Res<Insn> {
        let (v, col) = self.int()?;
        if self.eat_word("ll") {
            if width == Width::W32 {
                return Err((
                    col,
                    ParseErrorKind::Mismatch("`lddw` loads an `r` register"),
                ));
            }
            let v = i64::try_from(v)
                .map(|v| v as u64)
                .or_else(|_| u64::try_from(v))
                .map_err(|_| {
                    (
                        col,
                        ParseErrorKind::OutOfRange {
                            field: "64-bit",
                            value: v,
                        },
                    )
                })?;
            return Ok(Insn::LdImm64 {
                dst,
                src: PseudoSrc::Imm,
                imm: v as i32,
                next_imm: (v >> 32) as i32,
            });
        }
        let imm = i32::try_from(v).map_err(|_| {
            (
                col,
                ParseErrorKind::OutOfRange {
                    field: "imm",
                    value: v,
                },
            )
        })?;
        Ok(Insn::Alu {
            width,
            op: AluOp::Mov,
            dst,
            src: Operand::Imm(imm),
        })
    }

    /// After `dst = *`: a load from memory or a legacy packet load.
    fn load(&mut self, dst: Reg, width: Width) -> Res<Insn> {
        self.expect("(")?;
        let col = self.col();
        let (size, sign_extend) = self.ty()?;
        if self.eat_word("skb") {
            if dst != Reg::R0 || width != Width::W64 || sign_extend || size == Size::DW {
                return Err((
                    col,
                    ParseErrorKind::Mismatch("packet loads are `r0 = *(u8/u16/u32 *)skb[..]`"),
                ));
            }
            self.expect("[")?;
            let insn = if self.try_reg().is_some() {
                let src = self.reg_w(Width::W64)?;
                let imm = if self.is_num_start() {
                    self.int_in("imm")?
                } else {
                    0
                };
                Insn::LdInd { size, src, imm }
            } else {
                Insn::LdAbs {
                    size,
                    imm: self.int_in("imm")?,
                }
            };
            self.expect("]")?;
            return Ok(insn);
        }
        self.expect("(")?;
        let (src, off) = self.addr()?;
        self.expect(")")?;
        if sign_extend && width == Width::W32 {
            return Err((
                col,
                ParseErrorKind::Mismatch("a sign-extending load needs an `r` register"),
            ));
        }
        self.check_width(col, size, width)?;
        Ok(Insn::Load {
            size,
            sign_extend,
            dst,
            src,
            off,
        })
    }
}
