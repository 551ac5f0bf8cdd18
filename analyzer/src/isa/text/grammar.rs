//! The grammar of one instruction: a cursor over a line's tokens and one method per form.
//!
//! It is a hand-written recursive-descent parser without recursion: each instruction form is
//! recognised by its first one or two tokens (`if`, `lock`, `*`, `rN =`, `rN +=`, ...), and
//! every method consumes exactly the tokens of its form. Errors carry the column of the token
//! where the text stopped matching; [`super::parse`] adds the line.

mod mem;

use super::lex::{Tok, Token};
use super::parse::{Fixup, LabelRef, ParseErrorKind, Parsed, Res};
use crate::isa::{AtomicOp, CallTarget, Cond, Insn, Operand, Reg, Width};

/// The parser of one instruction: tokens, a cursor, and the column of the line's end.
pub(super) struct P<'t, 's> {
    toks: &'t [Token<'s>],
    pos: usize,
    end: u32,
}

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

impl<'t, 's> P<'t, 's> {
    pub(super) fn new(toks: &'t [Token<'s>], end: u32) -> P<'t, 's> {
        P { toks, pos: 0, end }
    }

    fn peek(&self) -> Option<Tok<'s>> {
        self.toks.get(self.pos).map(|t| t.tok)
    }

    fn col(&self) -> u32 {
        self.toks.get(self.pos).map_or(self.end, |t| t.col)
    }

    fn fail<T>(&self, expected: &'static str) -> Res<T> {
        let found = self.toks.get(self.pos).map_or("", |t| t.text);
        Err((
            self.col(),
            ParseErrorKind::Expected {
                expected,
                found: found.into(),
            },
        ))
    }

    fn next(&mut self) -> Option<Tok<'s>> {
        let t = self.peek();
        self.pos += 1;
        t
    }

    fn eat(&mut self, punct: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Punct(p)) if p == punct);
        self.pos += usize::from(hit);
        hit
    }

    fn eat_word(&mut self, word: &str) -> bool {
        let hit = matches!(self.peek(), Some(Tok::Ident(w)) if w == word);
        self.pos += usize::from(hit);
        hit
    }

    fn expect(&mut self, punct: &'static str) -> Res<()> {
        if self.eat(punct) {
            Ok(())
        } else {
            self.fail(punct)
        }
    }

    fn expect_word(&mut self, word: &'static str) -> Res<()> {
        if self.eat_word(word) {
            Ok(())
        } else {
            self.fail(word)
        }
    }

    fn done(&self) -> Res<()> {
        if self.pos >= self.toks.len() {
            Ok(())
        } else {
            self.fail("end of instruction")
        }
    }

    fn try_reg(&self) -> Option<(Reg, Width)> {
        let Some(Tok::Ident(w)) = self.peek() else {
            return None;
        };
        let width = match w.as_bytes().first() {
            Some(b'r') => Width::W64,
            Some(b'w') => Width::W32,
            _ => return None,
        };
        let n = w[1..]
            .parse::<u8>()
            .ok()
            .filter(|_| !w[1..].starts_with('+'))?;
        Some((Reg::new(n)?, width))
    }

    fn reg(&mut self) -> Res<(Reg, Width)> {
        let r = self.try_reg();
        match r {
            Some(r) => {
                self.pos += 1;
                Ok(r)
            }
            None => self.fail("a register"),
        }
    }

    /// A register of the given width.
    fn reg_w(&mut self, width: Width) -> Res<Reg> {
        let col = self.col();
        let (r, w) = self.reg()?;
        if w != width {
            return Err((
                col,
                ParseErrorKind::Mismatch("operands differ in width (`r` and `w`)"),
            ));
        }
        Ok(r)
    }

    fn is_num_start(&self) -> bool {
        matches!(self.peek(), Some(Tok::Num(_) | Tok::Punct("-" | "+")))
    }

    /// An optionally signed number.
    fn int(&mut self) -> Res<(i128, u32)> {
        let col = self.col();
        let neg = if self.eat("-") {
            true
        } else {
            self.eat("+");
            false
        };
        match self.next() {
            Some(Tok::Num(Some(v))) => Ok((if neg { -i128::from(v) } else { i128::from(v) }, col)),
            Some(Tok::Num(None)) => Err((
                col,
                ParseErrorKind::OutOfRange {
                    field: "64-bit",
                    value: i128::MAX,
                },
            )),
            _ => {
                self.pos -= 1;
                self.fail("a number")
            }
        }
    }

    fn int_in<T: TryFrom<i128>>(&mut self, field: &'static str) -> Res<T> {
        let (v, col) = self.int()?;
        T::try_from(v).map_err(|_| (col, ParseErrorKind::OutOfRange { field, value: v }))
    }

    /// A 32-bit immediate written signed or unsigned (`-0x1` or `0xffffffff`).
    fn imm_u32(&mut self) -> Res<i32> {
        let (v, col) = self.int()?;
        i32::try_from(v)
            .or_else(|_| u32::try_from(v).map(|v| v as i32))
            .map_err(|_| {
                (
                    col,
                    ParseErrorKind::OutOfRange {
                        field: "imm",
                        value: v,
                    },
                )
            })
    }

    /// An operand: a register of `width` or a 32-bit immediate.
    fn operand(&mut self, width: Width) -> Res<Operand> {
        if self.try_reg().is_some() {
            Ok(Operand::Reg(self.reg_w(width)?))
        } else if self.is_num_start() {
            Ok(Operand::Imm(self.int_in("imm")?))
        } else {
            self.fail("a register or a number")
        }
    }

    /// A jump target: an offset, maybe followed by ` <NAME>`, or a label name.
    fn target(&mut self, fixup: Fixup) -> Res<(i128, Option<LabelRef<'s>>)> {
        if let Some(Tok::Ident(name)) = self.peek() {
            let col = self.col();
            self.pos += 1;
            return Ok((0, Some((fixup, name, col))));
        }
        let (off, _) = self.int()?;
        if self.eat("<") {
            // Skip llvm-objdump's `<NAME+0x10>`: everything up to a final `>`.
            match self.toks.last() {
                Some(t) if t.text.ends_with('>') => self.pos = self.toks.len(),
                _ => return self.fail("`<NAME>` to end the line"),
            }
        }
        Ok((off, None))
    }

    /// One whole instruction: all tokens must be used.
    pub(super) fn insn(&mut self) -> Res<Parsed<'s>> {
        let res = self.insn_inner()?;
        self.done()?;
        Ok(res)
    }

    fn insn_inner(&mut self) -> Res<Parsed<'s>> {
        let plain = |insn| Ok(Parsed { insn, label: None });
        let col = self.col();
        match self.peek() {
            Some(Tok::Ident("exit")) => {
                self.pos += 1;
                plain(Insn::Exit)
            }
            Some(Tok::Ident(kw @ ("goto" | "gotol" | "may_goto"))) => {
                self.pos += 1;
                let fixup = if kw == "gotol" {
                    Fixup::Imm32
                } else {
                    Fixup::Off16
                };
                let (off, label) = self.target(fixup)?;
                let range = |field| (col, ParseErrorKind::OutOfRange { field, value: off });
                let insn = match kw {
                    "goto" => Insn::Ja {
                        off: i16::try_from(off).map_err(|_| range("off"))?.into(),
                        long: false,
                    },
                    "gotol" => Insn::Ja {
                        off: i32::try_from(off).map_err(|_| range("imm"))?,
                        long: true,
                    },
                    _ => Insn::MayGoto {
                        off: i16::try_from(off).map_err(|_| range("off"))?,
                    },
                };
                Ok(Parsed { insn, label })
            }
            Some(Tok::Ident("call")) => {
                self.pos += 1;
                self.call()
            }
            Some(Tok::Ident("callx")) => {
                self.pos += 1;
                plain(Insn::Callx {
                    reg: self.reg_w(Width::W64)?,
                })
            }
            Some(Tok::Ident("if")) => {
                self.pos += 1;
                self.cond_jump()
            }
            Some(Tok::Ident("lock")) => {
                self.pos += 1;
                plain(self.lock()?)
            }
            Some(Tok::Ident("ld_pseudo")) => {
                self.pos += 1;
                plain(self.ld_pseudo()?)
            }
            Some(Tok::Ident("store_release")) => {
                self.pos += 1;
                self.expect("(")?;
                let (size, dst, off) = self.typed_addr()?;
                self.expect(",")?;
                let src = self.mem_reg(size)?;
                self.expect(")")?;
                plain(Insn::Atomic {
                    size,
                    op: AtomicOp::StoreRelease,
                    dst,
                    src,
                    off,
                })
            }
            Some(Tok::Punct("*")) => plain(self.store()?),
            _ if self.try_reg().is_some() => plain(self.assign()?),
            _ => self.fail("an instruction"),
        }
    }

    fn call(&mut self) -> Res<Parsed<'s>> {
        if self.eat_word("pc") {
            let insn = Insn::Call(CallTarget::Local(self.int_in("imm")?));
            return Ok(Parsed { insn, label: None });
        }
        if self.eat_word("kfunc") {
            let btf_id = self.int_in("imm")?;
            let module = if self.eat(",") {
                self.int_in("off")?
            } else {
                0
            };
            return Ok(Parsed {
                insn: Insn::Call(CallTarget::Kfunc { btf_id, module }),
                label: None,
            });
        }
        if let Some(Tok::Ident(_)) = self.peek() {
            let (_, label) = self.target(Fixup::Imm32)?;
            return Ok(Parsed {
                insn: Insn::Call(CallTarget::Local(0)),
                label,
            });
        }
        Ok(Parsed {
            insn: Insn::Call(CallTarget::Helper(self.int_in("imm")?)),
            label: None,
        })
    }

    fn cond_jump(&mut self) -> Res<Parsed<'s>> {
        let (dst, width) = self.reg()?;
        let cond = match self.next() {
            Some(Tok::Punct(p)) => CONDS.into_iter().find(|c| c.symbol() == p),
            _ => None,
        };
        let Some(cond) = cond else {
            self.pos -= 1;
            return self.fail("a comparison");
        };
        let src = self.operand(width)?;
        self.expect_word("goto")?;
        let col = self.col();
        let (off, label) = self.target(Fixup::Off16)?;
        let off = i16::try_from(off).map_err(|_| {
            (
                col,
                ParseErrorKind::OutOfRange {
                    field: "off",
                    value: off,
                },
            )
        })?;
        Ok(Parsed {
            insn: Insn::Jmp {
                width,
                cond,
                dst,
                src,
                off,
            },
            label,
        })
    }
}
