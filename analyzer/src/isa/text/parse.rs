//! The assembler: text in the [`Syntax::Bpfvet`](super::Syntax) or `Llvm19` spelling back to
//! [`Insn`]s.
//!
//! A program is one instruction per line. A line may start with labels (`LBB0_3:`), and a
//! comment runs from `;`, `#` or `//` to the end of the line. Jump and call targets are either
//! offsets (`goto +0x3`, `call pc-0x1`) or label names (`goto LBB0_3`, `call my_func`; a
//! bare name after `call` is a BPF-to-BPF call, as in LLVM's assembly). A ` <NAME>` suffix
//! after an offset, as llvm-objdump prints it, is ignored. Numbers are hexadecimal (`0x..`)
//! or decimal, so llvm-objdump 14's decimal text parses too. Directives (`.text`) are
//! rejected rather than skipped, so that no line is silently ignored.
//!
//! Where LLVM's text is ambiguous the assembler picks what clang emits: `call 0x1` is a helper
//! call, `ld_pseudo r1, 0x1, 0x5` has a zero second-slot immediate. Registers of loads,
//! stores and atomics narrower than 64 bits may be written `w` or `r` (llvm-objdump prints
//! `r` without `--mattr=+alu32`); ALU and jump operands must agree in width.

use super::grammar::P;
use super::lex::{lex, strip_comment, Tok, Token};
use crate::isa::{CallTarget, Insn};
use std::collections::HashMap;
use std::fmt;

/// Why a line could not be assembled, at 1-based line and column.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct ParseError {
    pub line: u32,
    pub col: u32,
    pub kind: ParseErrorKind,
}

#[derive(Clone, PartialEq, Eq, Debug)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// The text at this point is not what the syntax allows.
    Expected {
        expected: &'static str,
        found: String,
    },
    /// A number does not fit its field.
    OutOfRange {
        field: &'static str,
        value: i128,
    },
    /// Operands that must agree do not (register widths, repeated registers).
    Mismatch(&'static str),
    UnknownLabel(String),
    DuplicateLabel(String),
    /// A label was used where no program gives it meaning ([`parse_insn`]).
    LabelOutsideProgram(String),
    /// An assembler directive such as `.text`.
    Directive(String),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {}: ", self.line, self.col)?;
        match &self.kind {
            ParseErrorKind::Expected { expected, found } if found.is_empty() => {
                write!(f, "expected {expected}, found end of line")
            }
            ParseErrorKind::Expected { expected, found } => {
                write!(f, "expected {expected}, found `{found}`")
            }
            ParseErrorKind::OutOfRange { field, value } => {
                write!(f, "{value} does not fit in the {field} field")
            }
            ParseErrorKind::Mismatch(what) => write!(f, "{what}"),
            ParseErrorKind::UnknownLabel(l) => write!(f, "unknown label `{l}`"),
            ParseErrorKind::DuplicateLabel(l) => write!(f, "label `{l}` is defined twice"),
            ParseErrorKind::LabelOutsideProgram(l) => {
                write!(f, "label `{l}` can only be resolved in a whole program")
            }
            ParseErrorKind::Directive(d) => write!(f, "directive `{d}` is not supported"),
        }
    }
}

impl std::error::Error for ParseError {}

/// An error without its line yet.
pub(super) type Res<T> = Result<T, (u32, ParseErrorKind)>;

/// Which field a label reference fills once the label's slot is known.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Fixup {
    /// The 16-bit `off` of `goto`, `if` and `may_goto`.
    Off16,
    /// The 32-bit `imm` of `gotol` and of a BPF-to-BPF call.
    Imm32,
}

/// A reference to a label: the field it fills, the name, and the name's column.
pub(super) type LabelRef<'s> = (Fixup, &'s str, u32);

/// One parsed instruction, maybe waiting for a label.
pub(super) struct Parsed<'s> {
    pub insn: Insn,
    pub label: Option<LabelRef<'s>>,
}

/// Parses one instruction (no labels, no comment-only lines). A `lddw` comes back alone,
/// without its [`Insn::LdImm64Tail`].
pub fn parse_insn(text: &str) -> Result<Insn, ParseError> {
    let err = |(col, kind)| ParseError { line: 1, col, kind };
    let toks = lex(strip_comment(text)).map_err(|(col, found)| {
        err((
            col,
            ParseErrorKind::Expected {
                expected: "an instruction",
                found,
            },
        ))
    })?;
    let end = u32::try_from(text.chars().count() + 1).unwrap_or(u32::MAX);
    let parsed = P::new(&toks, end).insn().map_err(err)?;
    match parsed.label {
        Some((_, name, col)) => Err(err((col, ParseErrorKind::LabelOutsideProgram(name.into())))),
        None => Ok(parsed.insn),
    }
}

/// Parses a program: one [`Insn`] per slot, each `lddw` followed by its
/// [`Insn::LdImm64Tail`], labels resolved to offsets.
pub fn parse_program(text: &str) -> Result<Vec<Insn>, ParseError> {
    let mut res = Vec::new();
    let mut labels: HashMap<&str, usize> = HashMap::new();
    let mut fixups = Vec::new();
    for (line_idx, line) in text.lines().enumerate() {
        let line_no = u32::try_from(line_idx + 1).unwrap_or(u32::MAX);
        let err = |(col, kind)| ParseError {
            line: line_no,
            col,
            kind,
        };
        let toks = lex(strip_comment(line)).map_err(|(col, found)| {
            err((
                col,
                ParseErrorKind::Expected {
                    expected: "an instruction",
                    found,
                },
            ))
        })?;
        let mut toks = &toks[..];
        // Leading `NAME:` labels.
        while let [Token {
            tok: Tok::Ident(name),
            col,
            ..
        }, Token {
            tok: Tok::Punct(":"),
            ..
        }, rest @ ..] = toks
        {
            if labels.insert(name, res.len()).is_some() {
                return Err(err((*col, ParseErrorKind::DuplicateLabel((*name).into()))));
            }
            toks = rest;
        }
        let Some(first) = toks.first() else { continue };
        if let Tok::Ident(d) = first.tok {
            if d.starts_with('.') {
                return Err(err((first.col, ParseErrorKind::Directive(d.into()))));
            }
        }
        let end = u32::try_from(line.chars().count() + 1).unwrap_or(u32::MAX);
        let parsed = P::new(toks, end).insn().map_err(err)?;
        if let Some((fixup, name, col)) = parsed.label {
            fixups.push((res.len(), fixup, name, line_no, col));
        }
        res.push(parsed.insn);
        if matches!(parsed.insn, Insn::LdImm64 { .. }) {
            res.push(Insn::LdImm64Tail);
        }
    }
    for (at, fixup, name, line, col) in fixups {
        let err = |kind| ParseError { line, col, kind };
        let target = *labels
            .get(name)
            .ok_or_else(|| err(ParseErrorKind::UnknownLabel(name.into())))?;
        let off = target as i128 - at as i128 - 1;
        let range = |field| err(ParseErrorKind::OutOfRange { field, value: off });
        res[at] = match (res[at], fixup) {
            (Insn::Ja { long: false, .. }, Fixup::Off16) => Insn::Ja {
                off: i16::try_from(off).map_err(|_| range("off"))?.into(),
                long: false,
            },
            (
                Insn::Jmp {
                    width,
                    cond,
                    dst,
                    src,
                    ..
                },
                Fixup::Off16,
            ) => {
                let off = i16::try_from(off).map_err(|_| range("off"))?;
                Insn::Jmp {
                    width,
                    cond,
                    dst,
                    src,
                    off,
                }
            }
            (Insn::MayGoto { .. }, Fixup::Off16) => Insn::MayGoto {
                off: i16::try_from(off).map_err(|_| range("off"))?,
            },
            (Insn::Ja { long: true, .. }, Fixup::Imm32) => Insn::Ja {
                off: i32::try_from(off).map_err(|_| range("imm"))?,
                long: true,
            },
            (Insn::Call(CallTarget::Local(_)), Fixup::Imm32) => Insn::Call(CallTarget::Local(
                i32::try_from(off).map_err(|_| range("imm"))?,
            )),
            (other, _) => other,
        };
    }
    Ok(res)
}
