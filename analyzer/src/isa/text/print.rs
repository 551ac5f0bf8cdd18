//! Printing one [`Insn`] as text, in the syntax `llvm-objdump -d` prints for BPF.
//!
//! The mechanics are one `match` over [`Insn`] that writes into a `String`. Three things vary
//! with the [`Syntax`]:
//!
//! * numbers: hexadecimal with an explicit sign (`-0x8`, `+0x3`) in `Bpfvet` and `Llvm19`,
//!   decimal (`-8`, `+3`) in `Llvm14`;
//! * the forms LLVM prints lossily (calls, `ld_pseudo`, `ld_ind`, load-acquire and
//!   store-release): `Bpfvet` spells them unambiguously, the LLVM syntaxes print what
//!   llvm-objdump prints, loss included;
//! * forms llvm-objdump 14 does not know (the v4 ISA, `jset`, `st`, `mod`, ...): `Llvm14` prints
//!   `<unknown>` or the lossy text that version prints, so its output can be compared verbatim.
//!
//! Registers are named `wN` in 32-bit contexts exactly where llvm-objdump prints them with
//! `--mattr=+alu32`: ALU and JMP32 operands, sub-64-bit loads (not sign-extending ones),
//! register stores and 32-bit atomics.

use super::Syntax;
use crate::isa::{AluOp, AtomicOp, CallTarget, Cond, EndianOp, Insn, InsnIdx, Operand, PseudoSrc};
use crate::isa::{Reg, Size, Width};
use std::fmt::{self, Write as _};

/// Looks up the name to print after a jump, as ` <NAME>`, given the target slot (which may be
/// negative or past the end: it is `at + 1 + off` computed without wrapping).
pub type LabelFn<'a> = &'a dyn Fn(i64) -> Option<String>;

/// Prints instructions in one [`Syntax`], with optional jump-target labels.
///
/// ```
/// use bpfvet_analyzer::isa::text::{Printer, Syntax};
/// use bpfvet_analyzer::isa::{Insn, InsnIdx};
/// let labels = |target: i64| (target == 3).then(|| "LBB0_3".to_string());
/// let p = Printer::new(Syntax::Llvm19).with_labels(&labels);
/// assert_eq!(p.insn(&Insn::Ja { off: 2, long: false }, InsnIdx(0)), "goto +0x2 <LBB0_3>");
/// ```
#[derive(Clone, Copy)]
pub struct Printer<'a> {
    syntax: Syntax,
    labels: Option<LabelFn<'a>>,
}

impl fmt::Debug for Printer<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Printer")
            .field("syntax", &self.syntax)
            .field("labels", &self.labels.is_some())
            .finish()
    }
}

impl<'a> Printer<'a> {
    pub fn new(syntax: Syntax) -> Printer<'a> {
        Printer {
            syntax,
            labels: None,
        }
    }

    /// Appends ` <NAME>` to jumps whose target `labels` names.
    pub fn with_labels(self, labels: LabelFn<'a>) -> Printer<'a> {
        Printer {
            labels: Some(labels),
            ..self
        }
    }

    pub fn syntax(&self) -> Syntax {
        self.syntax
    }

    /// The text of `insn`, which sits at slot `at` (only jump labels need `at`). The tail of a
    /// `lddw` prints as the empty string: llvm-objdump prints both slots on one line.
    pub fn insn(&self, insn: &Insn, at: InsnIdx) -> String {
        let mut out = String::new();
        self.write(&mut out, insn, at);
        out
    }

    /// Prints a whole program, one instruction per line (a `lddw` tail gets no line).
    pub fn program(&self, insns: &[Insn]) -> String {
        let mut out = String::new();
        for (i, insn) in insns.iter().enumerate() {
            if *insn == Insn::LdImm64Tail {
                continue;
            }
            self.write(
                &mut out,
                insn,
                InsnIdx(u32::try_from(i).unwrap_or(u32::MAX)),
            );
            out.push('\n');
        }
        out
    }

    fn write(&self, out: &mut String, insn: &Insn, at: InsnIdx) {
        // Writing into a `String` cannot fail.
        let _ = W {
            out,
            syntax: self.syntax,
        }
        .insn(insn);
        if let Some(off) = insn.jump_offset() {
            if self.syntax == Syntax::Llvm14 && !llvm14_knows_jump(insn) {
                return;
            }
            let target = i64::from(at.0) + 1 + off;
            if let Some(name) = self.labels.and_then(|f| f(target)) {
                let _ = write!(out, " <{name}>");
            }
        }
    }
}

/// Whether llvm-objdump 14 prints this jump (it does not know `gotol`, `jset`, `may_goto`).
fn llvm14_knows_jump(insn: &Insn) -> bool {
    !matches!(
        insn,
        Insn::Ja { long: true, .. }
            | Insn::MayGoto { .. }
            | Insn::Jmp {
                cond: Cond::Set,
                ..
            }
    )
}

/// The text of one instruction in the [`Bpfvet`](Syntax::Bpfvet) syntax, without labels.
pub fn print_insn(insn: &Insn) -> String {
    Printer::new(Syntax::Bpfvet).insn(insn, InsnIdx(0))
}

/// The writer: the syntax plus the output buffer.
struct W<'o> {
    out: &'o mut String,
    syntax: Syntax,
}

const UNKNOWN: &str = "<unknown>";

impl W<'_> {
    fn hex(&self) -> bool {
        self.syntax != Syntax::Llvm14
    }

    fn is14(&self) -> bool {
        self.syntax == Syntax::Llvm14
    }

    /// A signed number: `0x5`, `-0x5` (or `5`, `-5`).
    fn num(&mut self, v: i64) -> fmt::Result {
        let mag = v.unsigned_abs();
        let sign = if v < 0 { "-" } else { "" };
        if self.hex() {
            write!(self.out, "{sign}{mag:#x}")
        } else {
            write!(self.out, "{sign}{mag}")
        }
    }

    /// A number with an explicit sign: `+0x3`, `-0x4`.
    fn signed(&mut self, v: i64) -> fmt::Result {
        if v >= 0 {
            self.out.push('+');
        }
        self.num(v)
    }

    /// `r1 + 0x8` or `r1 - 0x8`.
    fn addr(&mut self, base: Reg, off: i16) -> fmt::Result {
        let op = if off < 0 { '-' } else { '+' };
        write!(self.out, "{base} {op} ")?;
        self.num(i64::from(off).abs())
    }

    /// `*(u32 *)(r1 + 0x8)`; `ty` is the type name (`u32`, `s16`).
    fn mem(&mut self, ty: &str, base: Reg, off: i16) -> fmt::Result {
        write!(self.out, "*({ty} *)(")?;
        self.addr(base, off)?;
        self.out.push(')');
        Ok(())
    }

    fn insn(&mut self, insn: &Insn) -> fmt::Result {
        match *insn {
            Insn::Alu {
                width,
                op,
                dst,
                src,
            } => self.alu(width, op, dst, src),
            Insn::MovSx {
                width,
                dst,
                src,
                from_bits,
            } => {
                let (d, s) = (reg(dst, width), reg(src, width));
                if self.is14() {
                    write!(self.out, "{d} = {s}")
                } else {
                    write!(self.out, "{d} = (s{from_bits}){s}")
                }
            }
            Insn::Neg { width, dst } => {
                let d = reg(dst, width);
                write!(self.out, "{d} = -{d}")
            }
            Insn::Endian { op, dst, bits } => {
                let name = match op {
                    EndianOp::ToLe => "le",
                    EndianOp::ToBe => "be",
                    EndianOp::Swap if self.is14() => return self.unknown(),
                    EndianOp::Swap => "bswap",
                };
                write!(self.out, "{dst} = {name}{bits} {dst}")
            }
            Insn::AddrSpaceCast {
                dst,
                src,
                dst_as,
                src_as,
            } => {
                if self.is14() {
                    return write!(self.out, "{dst} = {src}");
                }
                write!(self.out, "{dst} = addr_space_cast({src}, ")?;
                self.num(dst_as.into())?;
                self.out.push_str(", ");
                self.num(src_as.into())?;
                self.out.push(')');
                Ok(())
            }
            Insn::Ja { off, long } => {
                if long && self.is14() {
                    return self.unknown();
                }
                self.out.push_str(if long { "gotol " } else { "goto " });
                self.signed(off.into())
            }
            Insn::Jmp {
                width,
                cond,
                dst,
                src,
                off,
            } => {
                if cond == Cond::Set && self.is14() {
                    return self.unknown();
                }
                write!(self.out, "if {} {} ", reg(dst, width), cond.symbol())?;
                self.operand(src, width)?;
                self.out.push_str(" goto ");
                self.signed(off.into())
            }
            Insn::MayGoto { off } => {
                if self.is14() {
                    return self.unknown();
                }
                self.out.push_str("may_goto ");
                self.signed(off.into())
            }
            Insn::Call(target) => self.call(target),
            Insn::Callx { reg } => {
                // llvm-objdump 14 reads the register from `imm`, which is 0 in this encoding.
                let r = if self.is14() { Reg::R0 } else { reg };
                write!(self.out, "callx {r}")
            }
            Insn::Exit => self.out.write_str("exit"),
            Insn::Load {
                size,
                sign_extend,
                dst,
                src,
                off,
            } => {
                if sign_extend && self.is14() {
                    return self.unknown();
                }
                let (d, ty) = if sign_extend {
                    (dst.to_string(), size.type_name(true))
                } else {
                    (reg(dst, size_width(size)), size.type_name(false))
                };
                write!(self.out, "{d} = ")?;
                self.mem(ty, src, off)
            }
            Insn::Store {
                size,
                dst,
                off,
                src,
            } => {
                if matches!(src, Operand::Imm(_)) && self.is14() {
                    return self.unknown();
                }
                self.mem(size.type_name(false), dst, off)?;
                self.out.push_str(" = ");
                self.operand(src, size_width(size))
            }
            Insn::Atomic {
                size,
                op,
                dst,
                src,
                off,
            } => self.atomic(size, op, dst, src, off),
            Insn::LdImm64 {
                dst,
                src,
                imm,
                next_imm,
            } => self.lddw(dst, src, imm, next_imm),
            Insn::LdImm64Tail => Ok(()),
            Insn::LdAbs { size, imm } => {
                write!(self.out, "r0 = *({} *)skb[", size.type_name(false))?;
                self.num(imm.into())?;
                self.out.push(']');
                Ok(())
            }
            Insn::LdInd { size, src, imm } => {
                write!(self.out, "r0 = *({} *)skb[{src}", size.type_name(false))?;
                // LLVM drops `imm` here; only our own syntax keeps it.
                if self.syntax == Syntax::Bpfvet && imm != 0 {
                    self.out.push_str(if imm < 0 { " - " } else { " + " });
                    self.num(i64::from(imm).abs())?;
                }
                self.out.push(']');
                Ok(())
            }
        }
    }

    fn unknown(&mut self) -> fmt::Result {
        self.out.write_str(UNKNOWN)
    }

    fn operand(&mut self, src: Operand, width: Width) -> fmt::Result {
        match src {
            Operand::Reg(r) => self.out.write_str(&reg(r, width)),
            Operand::Imm(i) => self.num(i.into()),
        }
    }

    fn alu(&mut self, width: Width, op: AluOp, dst: Reg, src: Operand) -> fmt::Result {
        if self.is14() {
            match op {
                AluOp::Mod | AluOp::SMod => return self.unknown(),
                _ => {}
            }
        }
        let sym = match op {
            // llvm-objdump 14 ignores the `off` field that makes a division signed.
            AluOp::SDiv if self.is14() => "/=",
            _ => op.symbol(),
        };
        write!(self.out, "{} {sym} ", reg(dst, width))?;
        self.operand(src, width)
    }

    fn call(&mut self, target: CallTarget) -> fmt::Result {
        match (self.syntax, target) {
            (_, CallTarget::Helper(id)) => {
                self.out.push_str("call ");
                self.num(id.into())
            }
            (Syntax::Bpfvet, CallTarget::Local(rel)) => {
                self.out.push_str("call pc");
                self.signed(rel.into())
            }
            (Syntax::Bpfvet, CallTarget::Kfunc { btf_id, module }) => {
                self.out.push_str("call kfunc ");
                self.num(btf_id.into())?;
                if module != 0 {
                    self.out.push_str(", ");
                    self.num(module.into())?;
                }
                Ok(())
            }
            // LLVM prints every call as `call imm`, whatever the source field says.
            (_, CallTarget::Local(imm) | CallTarget::Kfunc { btf_id: imm, .. }) => {
                self.out.push_str("call ");
                self.num(imm.into())
            }
        }
    }

    fn atomic(&mut self, size: Size, op: AtomicOp, dst: Reg, src: Reg, off: i16) -> fmt::Result {
        let w = size_width(size);
        let s = reg(src, w);
        let ty = size.type_name(false);
        let (name, fetch) = match op {
            AtomicOp::Add { fetch } => ("add", fetch),
            AtomicOp::Or { fetch } => ("or", fetch),
            AtomicOp::And { fetch } => ("and", fetch),
            AtomicOp::Xor { fetch } => ("xor", fetch),
            AtomicOp::Xchg => {
                let f = if size == Size::DW {
                    "xchg_64"
                } else {
                    "xchg32_32"
                };
                write!(self.out, "{s} = {f}(")?;
                self.addr(dst, off)?;
                return write!(self.out, ", {s})");
            }
            AtomicOp::CmpXchg => {
                let f = if size == Size::DW {
                    "cmpxchg_64"
                } else {
                    "cmpxchg32_32"
                };
                let r0 = reg(Reg::R0, w);
                write!(self.out, "{r0} = {f}(")?;
                self.addr(dst, off)?;
                return write!(self.out, ", {r0}, {s})");
            }
            AtomicOp::LoadAcquire => return self.load_acquire(size, dst, src, off),
            AtomicOp::StoreRelease => {
                if self.syntax != Syntax::Bpfvet {
                    return self.unknown();
                }
                self.out.push_str("store_release((");
                write!(self.out, "{ty} *)(")?;
                self.addr(dst, off)?;
                return write!(self.out, "), {s})");
            }
        };
        if fetch {
            write!(self.out, "{s} = atomic_fetch_{name}(({ty} *)(")?;
            self.addr(dst, off)?;
            write!(self.out, "), {s})")
        } else {
            let sym = match name {
                "add" => "+=",
                "or" => "|=",
                "and" => "&=",
                _ => "^=",
            };
            write!(self.out, "lock ")?;
            self.mem(ty, dst, off)?;
            write!(self.out, " {sym} {s}")
        }
    }

    /// `dst = load_acquire((ty *)(src + off))`: note `src` is the address here.
    fn load_acquire(&mut self, size: Size, dst: Reg, src: Reg, off: i16) -> fmt::Result {
        match self.syntax {
            Syntax::Bpfvet => {
                let d = reg(dst, size_width(size));
                write!(
                    self.out,
                    "{d} = load_acquire(({} *)(",
                    size.type_name(false)
                )?;
                self.addr(src, off)?;
                self.out.push_str("))");
                Ok(())
            }
            // LLVM before 20 decodes a 32- or 64-bit load-acquire as an atomic add, ignoring
            // the high bits of `imm`, and does not know the other sizes.
            _ if matches!(size, Size::W | Size::DW) => {
                self.out.push_str("lock ");
                self.mem(size.type_name(false), dst, off)?;
                write!(self.out, " += {}", reg(src, size_width(size)))
            }
            _ => self.unknown(),
        }
    }

    fn lddw(&mut self, dst: Reg, src: PseudoSrc, imm: i32, next_imm: i32) -> fmt::Result {
        let src_num = match src {
            PseudoSrc::Imm => {
                write!(self.out, "{dst} = ")?;
                self.num(Insn::imm64(imm, next_imm) as i64)?;
                return self.out.write_str(" ll");
            }
            PseudoSrc::MapFd => 1,
            PseudoSrc::MapValue => 2,
            PseudoSrc::BtfId => 3,
            PseudoSrc::Func => 4,
            PseudoSrc::MapIdx => 5,
            PseudoSrc::MapIdxValue => 6,
        };
        // LLVM separates the mnemonic with a tab and drops the second slot's immediate.
        let sep = if self.syntax == Syntax::Bpfvet {
            ' '
        } else {
            '\t'
        };
        write!(self.out, "ld_pseudo{sep}{dst}, ")?;
        self.num(src_num)?;
        self.out.push_str(", ");
        // LLVM prints this immediate unsigned.
        self.num(i64::from(imm as u32))?;
        if self.syntax == Syntax::Bpfvet && next_imm != 0 {
            self.out.push_str(", ");
            self.num(i64::from(next_imm as u32))?;
        }
        Ok(())
    }
}

/// The register's name at a width: `r1` or `w1`.
fn reg(r: Reg, width: Width) -> String {
    match width {
        Width::W64 => format!("r{}", r.num()),
        Width::W32 => format!("w{}", r.num()),
    }
}

/// The register width llvm-objdump (with alu32) uses for a memory access of `size`.
fn size_width(size: Size) -> Width {
    if size == Size::DW {
        Width::W64
    } else {
        Width::W32
    }
}
