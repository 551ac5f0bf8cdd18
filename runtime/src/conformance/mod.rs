//! The bpf_conformance `.data` test format and its assembly dialect.
//!
//! A `.data` file is a line-oriented text file split into sections by `-- name` headers (see
//! `shared/conformance/README.md` for the full format). [`parse`] turns one into a
//! [`TestCase`], and [`TestCase::program`] builds its instructions, from the `raw` section when
//! there is one and otherwise by assembling the `asm` section with [`asm::assemble`].
//!
//! The dialect is the one uBPF and bpf_conformance use (`%r1`, `ldxw %r0, [%r1+4]`,
//! `lock fetch add32 [%r10-8], %r1`), not LLVM's; it is small enough that [`asm`] handles all of
//! it in one file. This module is public so the CLI and the analyzer's tests can reuse it.

pub mod asm;

use bpfvet_analyzer::isa::{decode, DecodeError, Insn};
use std::fmt;

/// One parsed `.data` file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestCase {
    /// The `-- asm` section, comments removed, one line per source line (blank lines kept so
    /// that error line numbers count from the section header).
    pub asm: Option<String>,
    /// The `-- raw` section: one entry per 8-byte instruction slot, in memory order.
    pub raw: Option<Vec<[u8; 8]>>,
    /// The `-- mem` input buffer (empty when the section is absent).
    pub mem: Vec<u8>,
    /// The expected final `r0`, all 64 bits.
    pub result: Option<u64>,
    /// The `-- error` section: `Some` when the program must be rejected. The text is what
    /// upstream's tools print, so it is informative only.
    pub error: Option<String>,
}

/// Why a `.data` file or its program could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    /// A section header names no section we know.
    UnknownSection { line: usize, header: String },
    /// A token of a `raw` or `mem` section, or the `result` line, is not a number.
    BadNumber { line: usize, token: String },
    /// The file has neither an `asm` nor a `raw` section.
    NoProgram,
    /// The `asm` section does not assemble.
    Asm(asm::AsmError),
    /// The instructions do not decode.
    Decode(DecodeError),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::UnknownSection { line, header } => {
                write!(f, "line {line}: unknown section header `{header}`")
            }
            ParseError::BadNumber { line, token } => write!(f, "line {line}: bad number `{token}`"),
            ParseError::NoProgram => write!(f, "no `asm` or `raw` section"),
            ParseError::Asm(e) => write!(f, "{e}"),
            ParseError::Decode(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ParseError {}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Section {
    None,
    Asm,
    Result,
    Mem,
    Raw,
    Ignored,
    Error,
}

/// Parses a `.data` file. Bytes that are not UTF-8 (a few comment lines have a stray byte) are
/// read lossily; they only ever occur in comments.
pub fn parse(bytes: &[u8]) -> Result<TestCase, ParseError> {
    let text = String::from_utf8_lossy(bytes);
    let mut res = TestCase::default();
    let mut section = Section::None;
    let mut asm = String::new();
    for (i, full) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = full.split('#').next().unwrap_or("").trim();
        if line.contains("--") {
            // Upstream recognises sections by substring, in this order.
            section = if line.contains("asm") {
                res.asm.get_or_insert_with(String::new);
                Section::Asm
            } else if line.contains("result") {
                Section::Result
            } else if line.contains("mem") {
                Section::Mem
            } else if line.contains("raw") {
                res.raw.get_or_insert_with(Vec::new);
                Section::Raw
            } else if line.contains("no register offset") || line.contains(" c") {
                Section::Ignored
            } else if line.contains("error") {
                res.error.get_or_insert_with(String::new);
                Section::Error
            } else {
                return Err(ParseError::UnknownSection {
                    line: line_no,
                    header: line.to_string(),
                });
            };
            continue;
        }
        match section {
            Section::Asm => {
                // Keep blank lines so that assembler line numbers stay meaningful.
                asm.push_str(line);
                asm.push('\n');
            }
            _ if line.is_empty() => {}
            Section::None | Section::Ignored => {}
            Section::Result => {
                res.result = Some(parse_u64(line).ok_or_else(|| bad(line_no, line))?);
            }
            Section::Mem => {
                for tok in line.split_whitespace() {
                    let b = u8::from_str_radix(tok, 16).map_err(|_| bad(line_no, tok))?;
                    res.mem.push(b);
                }
            }
            Section::Raw => {
                let raw = res.raw.get_or_insert_with(Vec::new);
                let toks: Vec<&str> = line.split_whitespace().collect();
                let per_byte = toks.len() == 8
                    && toks
                        .iter()
                        .all(|t| t.len() == 2 && t.chars().all(|c| c.is_ascii_hexdigit()));
                if per_byte {
                    let mut slot = [0u8; 8];
                    for (b, tok) in slot.iter_mut().zip(&toks) {
                        *b = u8::from_str_radix(tok, 16).map_err(|_| bad(line_no, tok))?;
                    }
                    raw.push(slot);
                } else {
                    for tok in toks {
                        let v = parse_u64(tok).ok_or_else(|| bad(line_no, tok))?;
                        raw.push(v.to_le_bytes());
                    }
                }
            }
            Section::Error => {
                let e = res.error.get_or_insert_with(String::new);
                if e.is_empty() {
                    e.push_str(line);
                }
            }
        }
    }
    if res.asm.is_some() {
        res.asm = Some(asm);
    }
    Ok(res)
}

fn bad(line: usize, token: &str) -> ParseError {
    ParseError::BadNumber {
        line,
        token: token.to_string(),
    }
}

/// A `result`/`raw` number: hex when it has `0x`, decimal otherwise (negative allowed).
fn parse_u64(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u64::from_str_radix(h, 16).ok()
    } else if let Some(d) = s.strip_prefix('-') {
        d.parse::<u64>().ok().map(u64::wrapping_neg)
    } else {
        s.parse::<u64>().ok()
    }
}

impl TestCase {
    /// The program: decoded from `raw` when present, else assembled from `asm`.
    pub fn program(&self) -> Result<Vec<Insn>, ParseError> {
        if let Some(raw) = &self.raw {
            let bytes: Vec<u8> = raw.iter().flatten().copied().collect();
            if bytes.is_empty() {
                return Err(ParseError::NoProgram);
            }
            return decode(&bytes).map_err(ParseError::Decode);
        }
        match &self.asm {
            Some(src) => {
                let insns = asm::assemble(src).map_err(ParseError::Asm)?;
                if insns.is_empty() {
                    return Err(ParseError::NoProgram);
                }
                Ok(insns)
            }
            None => Err(ParseError::NoProgram),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_and_comments() {
        let src = b"# header\n-- asm\nmov %r0, 1 # one\nexit\n-- mem\naa bb\n01\n-- result\n0x1\n";
        let t = parse(src).unwrap();
        assert_eq!(t.mem, vec![0xaa, 0xbb, 0x01]);
        assert_eq!(t.result, Some(1));
        assert_eq!(t.program().unwrap().len(), 2);
    }

    #[test]
    fn raw_has_two_spellings() {
        let t = parse(b"-- raw\n0x0000000000000095\n").unwrap();
        assert_eq!(t.raw.unwrap(), vec![[0x95, 0, 0, 0, 0, 0, 0, 0]]);
        let t = parse(b"-- raw\n95 00 00 00 00 00 00 00\n-- error\n").unwrap();
        assert_eq!(t.raw.unwrap(), vec![[0x95, 0, 0, 0, 0, 0, 0, 0]]);
        assert_eq!(t.error.as_deref(), Some(""));
    }

    #[test]
    fn rejects_unknown_section() {
        assert!(matches!(
            parse(b"-- bogus\n"),
            Err(ParseError::UnknownSection { line: 1, .. })
        ));
    }
}
