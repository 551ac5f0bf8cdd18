//! Assembler for the bpf_conformance/uBPF text dialect (not LLVM's).
//!
//! Two passes over the lines: the first gives every instruction its slot index (a `lddw`
//! takes two) and records labels; the second builds [`Insn`]s, resolving jump targets to slot
//! offsets relative to the next slot. The first `exit` is implicitly labelled `exit` unless the
//! source defines that label itself.
//!
//! Example: `jeq %r1, 0x1a8c0, exit` at slot 3 with the first `exit` at slot 7 becomes
//! `Jmp { off: 3 }` (7 - (3 + 1)).

use bpfvet_analyzer::isa::{
    AluOp, AtomicOp, CallTarget, Cond, EndianOp, Insn, Operand, PseudoSrc, Reg, Size, Width,
};
use std::collections::HashMap;
use std::fmt;

/// An assembly error, at a 1-based line of the source text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AsmError {
    pub line: usize,
    pub msg: String,
}

impl fmt::Display for AsmError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "asm line {}: {}", self.line, self.msg)
    }
}

impl std::error::Error for AsmError {}

type Res<T> = Result<T, String>;

/// One source instruction after tokenising.
struct Line<'a> {
    line_no: usize,
    mnemonic: &'a str,
    operands: Vec<&'a str>,
    slot: u32,
}

/// Splits operands on commas and whitespace, keeping a `[...]` memory operand whole.
fn tokenize(s: &str) -> Vec<&str> {
    let mut res = Vec::new();
    let bytes = s.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c == b',' || c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        if c == b'[' {
            while i < bytes.len() && bytes[i] != b']' {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
        } else {
            while i < bytes.len() && bytes[i] != b',' && !bytes[i].is_ascii_whitespace() {
                i += 1;
            }
        }
        res.push(&s[start..i]);
    }
    res
}

/// Assembles a program. Comments must already be stripped (the `.data` parser does that);
/// a `#` is treated as the start of a comment here too, for direct callers.
pub fn assemble(src: &str) -> Result<Vec<Insn>, AsmError> {
    let mut lines = Vec::new();
    let mut labels: HashMap<&str, u32> = HashMap::new();
    let mut slot = 0u32;
    let mut first_exit = None;
    for (i, raw) in src.lines().enumerate() {
        let line_no = i + 1;
        let text = raw.split('#').next().unwrap_or("").trim();
        if text.is_empty() {
            continue;
        }
        if let Some(label) = text.strip_suffix(':') {
            let label = label.trim();
            if label.is_empty() || label.contains(char::is_whitespace) {
                return Err(AsmError {
                    line: line_no,
                    msg: format!("bad label `{text}`"),
                });
            }
            if labels.insert(label, slot).is_some() {
                return Err(AsmError {
                    line: line_no,
                    msg: format!("duplicate label `{label}`"),
                });
            }
            continue;
        }
        let toks = tokenize(text);
        let (mnemonic, operands) = (toks[0], toks[1..].to_vec());
        if mnemonic == "exit" && first_exit.is_none() {
            first_exit = Some(slot);
        }
        let n_slots = if mnemonic == "lddw" { 2 } else { 1 };
        lines.push(Line {
            line_no,
            mnemonic,
            operands,
            slot,
        });
        slot += n_slots;
    }
    if let Some(s) = first_exit {
        labels.entry("exit").or_insert(s);
    }
    let mut res = Vec::with_capacity(slot as usize);
    for l in &lines {
        let insn = assemble_one(l, &labels).map_err(|msg| AsmError {
            line: l.line_no,
            msg,
        })?;
        res.push(insn);
        if matches!(insn, Insn::LdImm64 { .. }) {
            res.push(Insn::LdImm64Tail);
        }
    }
    Ok(res)
}

fn reg(s: &str) -> Res<Reg> {
    s.strip_prefix("%r")
        .and_then(|n| n.parse::<u8>().ok())
        .and_then(Reg::new)
        .ok_or_else(|| format!("invalid register `{s}`"))
}

fn is_reg(s: &str) -> bool {
    s.starts_with('%')
}

/// A signed number: hex (`0x..`, bit pattern) or decimal, with an optional sign.
fn number(s: &str) -> Res<i128> {
    let (neg, body) = match s.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let v = if let Some(h) = body.strip_prefix("0x").or_else(|| body.strip_prefix("0X")) {
        i128::from_str_radix(h, 16)
    } else {
        body.parse::<i128>()
    }
    .map_err(|_| format!("bad number `{s}`"))?;
    Ok(if neg { -v } else { v })
}

/// A 32-bit immediate: hex up to `0xffffffff` is a bit pattern, decimal must fit `i32`.
fn imm32(s: &str) -> Res<i32> {
    let v = number(s)?;
    let hex = s.trim_start_matches(['-', '+']).starts_with("0x");
    if (i128::from(i32::MIN)..=i128::from(i32::MAX)).contains(&v) {
        Ok(v as i32)
    } else if hex && (0..=i128::from(u32::MAX)).contains(&v) {
        Ok(v as u32 as i32)
    } else {
        Err(format!("immediate `{s}` out of range"))
    }
}

fn off16(v: i128, s: &str) -> Res<i16> {
    i16::try_from(v).map_err(|_| format!("offset `{s}` out of range"))
}

fn operand(s: &str) -> Res<Operand> {
    if is_reg(s) {
        reg(s).map(Operand::Reg)
    } else {
        imm32(s).map(Operand::Imm)
    }
}

/// `[%rN]`, `[%rN+off]` or `[%rN-off]`.
fn mem(s: &str) -> Res<(Reg, i16)> {
    let inner = s
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .ok_or_else(|| format!("expected a memory operand, found `{s}`"))?
        .trim();
    match inner.find(['+', '-']) {
        None => Ok((reg(inner)?, 0)),
        Some(p) => {
            let r = reg(inner[..p].trim())?;
            let num: String = inner[p..].chars().filter(|c| !c.is_whitespace()).collect();
            Ok((r, off16(number(&num)?, s)?))
        }
    }
}

fn expect(ops: &[&str], n: usize, m: &str) -> Res<()> {
    if ops.len() == n {
        Ok(())
    } else {
        Err(format!(
            "invalid number of operands for {m}: expected {n}, found {}",
            ops.len()
        ))
    }
}

fn target(s: &str, at: u32, labels: &HashMap<&str, u32>) -> Res<i64> {
    if s.starts_with(['+', '-']) {
        return i64::try_from(number(s)?).map_err(|_| format!("jump offset `{s}` out of range"));
    }
    labels
        .get(s)
        .map(|&t| i64::from(t) - i64::from(at) - 1)
        .ok_or_else(|| format!("unknown label `{s}`"))
}

fn jmp16(s: &str, at: u32, labels: &HashMap<&str, u32>) -> Res<i16> {
    i16::try_from(target(s, at, labels)?).map_err(|_| format!("jump to `{s}` out of range"))
}

fn size_suffix(s: &str) -> Option<Size> {
    match s {
        "b" => Some(Size::B),
        "h" => Some(Size::H),
        "w" => Some(Size::W),
        "dw" => Some(Size::DW),
        _ => None,
    }
}

fn alu_op(s: &str) -> Option<AluOp> {
    Some(match s {
        "add" => AluOp::Add,
        "sub" => AluOp::Sub,
        "mul" => AluOp::Mul,
        "div" => AluOp::Div,
        "sdiv" => AluOp::SDiv,
        "or" => AluOp::Or,
        "and" => AluOp::And,
        "lsh" => AluOp::Lsh,
        "rsh" => AluOp::Rsh,
        "mod" => AluOp::Mod,
        "smod" => AluOp::SMod,
        "xor" => AluOp::Xor,
        "mov" => AluOp::Mov,
        "arsh" => AluOp::Arsh,
        _ => return None,
    })
}

fn cond(s: &str) -> Option<Cond> {
    Some(match s {
        "jeq" => Cond::Eq,
        "jne" => Cond::Ne,
        "jgt" => Cond::Gt,
        "jge" => Cond::Ge,
        "jlt" => Cond::Lt,
        "jle" => Cond::Le,
        "jsgt" => Cond::SGt,
        "jsge" => Cond::SGe,
        "jslt" => Cond::SLt,
        "jsle" => Cond::SLe,
        "jset" => Cond::Set,
        _ => return None,
    })
}

/// Splits an optional `32`/`64` width suffix off a mnemonic.
fn width_suffix(m: &str) -> (&str, Width) {
    if let Some(b) = m.strip_suffix("32") {
        (b, Width::W32)
    } else {
        (m.strip_suffix("64").unwrap_or(m), Width::W64)
    }
}

fn assemble_one(l: &Line<'_>, labels: &HashMap<&str, u32>) -> Res<Insn> {
    let (m, ops) = (l.mnemonic, &l.operands[..]);
    match m {
        "exit" => {
            expect(ops, 0, m)?;
            return Ok(Insn::Exit);
        }
        "ja" => {
            expect(ops, 1, m)?;
            return Ok(Insn::Ja {
                off: jmp16(ops[0], l.slot, labels)?.into(),
                long: false,
            });
        }
        "ja32" => {
            expect(ops, 1, m)?;
            let off = i32::try_from(target(ops[0], l.slot, labels)?)
                .map_err(|_| "jump out of range".to_string())?;
            return Ok(Insn::Ja { off, long: true });
        }
        "lddw" => {
            expect(ops, 2, m)?;
            let v = number(ops[1])?;
            let hex = ops[1].starts_with("0x");
            let bits = if hex && (0..=i128::from(u64::MAX)).contains(&v) {
                v as u64
            } else if (i128::from(i64::MIN)..=i128::from(i64::MAX)).contains(&v) {
                v as i64 as u64
            } else {
                return Err(format!("immediate `{}` out of range", ops[1]));
            };
            return Ok(Insn::LdImm64 {
                dst: reg(ops[0])?,
                src: PseudoSrc::Imm,
                imm: bits as u32 as i32,
                next_imm: (bits >> 32) as u32 as i32,
            });
        }
        "call" => return call(ops, l.slot, labels),
        "lock" => return lock(ops),
        _ => {}
    }
    if let Some(rest) = m.strip_prefix("movsx") {
        // movsx{8,16,32}{32,64}: source width, then class width.
        let (from, width) = width_suffix(rest);
        let from_bits: u8 = from
            .parse()
            .map_err(|_| format!("unknown mnemonic `{m}`"))?;
        expect(ops, 2, m)?;
        return Ok(Insn::MovSx {
            width,
            dst: reg(ops[0])?,
            src: reg(ops[1])?,
            from_bits,
        });
    }
    for (prefix, op) in [
        ("le", EndianOp::ToLe),
        ("be", EndianOp::ToBe),
        ("bswap", EndianOp::Swap),
        ("swap", EndianOp::Swap),
    ] {
        if let Some(bits) = m.strip_prefix(prefix).and_then(|b| b.parse::<u8>().ok()) {
            if matches!(bits, 16 | 32 | 64) {
                expect(ops, 1, m)?;
                return Ok(Insn::Endian {
                    op,
                    dst: reg(ops[0])?,
                    bits,
                });
            }
        }
    }
    if let Some(rest) = m.strip_prefix("ldx") {
        let (sign_extend, sz) = match rest.strip_prefix('s') {
            Some(s) if size_suffix(s).is_some_and(|z| z != Size::DW) => (true, s),
            _ => (false, rest),
        };
        if let Some(size) = size_suffix(sz) {
            expect(ops, 2, m)?;
            let (src, off) = mem(ops[1])?;
            return Ok(Insn::Load {
                size,
                sign_extend,
                dst: reg(ops[0])?,
                src,
                off,
            });
        }
    }
    if let Some(rest) = m.strip_prefix("stx") {
        if let Some(size) = size_suffix(rest) {
            expect(ops, 2, m)?;
            let (dst, off) = mem(ops[0])?;
            return Ok(Insn::Store {
                size,
                dst,
                off,
                src: Operand::Reg(reg(ops[1])?),
            });
        }
    }
    if let Some(rest) = m.strip_prefix("st") {
        if let Some(size) = size_suffix(rest) {
            expect(ops, 2, m)?;
            let (dst, off) = mem(ops[0])?;
            return Ok(Insn::Store {
                size,
                dst,
                off,
                src: Operand::Imm(imm32(ops[1])?),
            });
        }
    }
    let (base, width) = width_suffix(m);
    if let Some(c) = cond(base) {
        expect(ops, 3, m)?;
        return Ok(Insn::Jmp {
            width,
            cond: c,
            dst: reg(ops[0])?,
            src: operand(ops[1])?,
            off: jmp16(ops[2], l.slot, labels)?,
        });
    }
    if base == "neg" {
        expect(ops, 1, m)?;
        return Ok(Insn::Neg {
            width,
            dst: reg(ops[0])?,
        });
    }
    if let Some(op) = alu_op(base) {
        expect(ops, 2, m)?;
        return Ok(Insn::Alu {
            width,
            op,
            dst: reg(ops[0])?,
            src: operand(ops[1])?,
        });
    }
    Err(format!("unknown mnemonic `{m}`"))
}

fn call(ops: &[&str], at: u32, labels: &HashMap<&str, u32>) -> Res<Insn> {
    match ops {
        [r] if is_reg(r) => Ok(Insn::Callx { reg: reg(r)? }),
        [n] => Ok(Insn::Call(CallTarget::Helper(imm32(n)?))),
        ["local", t] => {
            let off = i32::try_from(target(t, at, labels)?)
                .map_err(|_| "call target out of range".to_string())?;
            Ok(Insn::Call(CallTarget::Local(off)))
        }
        ["runtime", n] => Ok(Insn::Call(CallTarget::Kfunc {
            btf_id: imm32(n)?,
            module: 0,
        })),
        _ => Err("invalid number of operands for call".to_string()),
    }
}

/// `lock [fetch] op[32] [dst+off], src`.
fn lock(ops: &[&str]) -> Res<Insn> {
    let (fetch, rest) = match ops.first() {
        Some(&"fetch") => (true, &ops[1..]),
        _ => (false, ops),
    };
    let [op, dst, src] = rest else {
        return Err("invalid number of operands for lock".to_string());
    };
    let (base, width) = width_suffix(op);
    let size = if width == Width::W32 {
        Size::W
    } else {
        Size::DW
    };
    let op = match (base, fetch) {
        ("add", _) => AtomicOp::Add { fetch },
        ("or", _) => AtomicOp::Or { fetch },
        ("and", _) => AtomicOp::And { fetch },
        ("xor", _) => AtomicOp::Xor { fetch },
        ("xchg", _) => AtomicOp::Xchg,
        ("cmpxchg", _) => AtomicOp::CmpXchg,
        _ => return Err(format!("unknown atomic operation `{op}`")),
    };
    let (dst, off) = mem(dst)?;
    Ok(Insn::Atomic {
        size,
        op,
        dst,
        src: reg(src)?,
        off,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use bpfvet_analyzer::isa::{decode, encode};

    fn one(src: &str) -> Insn {
        assemble(src).unwrap()[0]
    }

    #[test]
    fn operands_and_widths() {
        assert_eq!(
            one("add32 %r1, 0xffffffff"),
            Insn::Alu {
                width: Width::W32,
                op: AluOp::Add,
                dst: Reg::R1,
                src: Operand::Imm(-1)
            }
        );
        assert_eq!(
            one("ldxsh %r0, [%r10-8]"),
            Insn::Load {
                size: Size::H,
                sign_extend: true,
                dst: Reg::R0,
                src: Reg::R10,
                off: -8
            }
        );
        assert_eq!(
            one("lock fetch xor32 [%r10-4], %r1"),
            Insn::Atomic {
                size: Size::W,
                op: AtomicOp::Xor { fetch: true },
                dst: Reg::R10,
                src: Reg::R1,
                off: -4
            }
        );
        assert_eq!(
            one("movsx1632 %r0, %r1"),
            Insn::MovSx {
                width: Width::W32,
                dst: Reg::R0,
                src: Reg::R1,
                from_bits: 16
            }
        );
        assert_eq!(
            one("be16 %r0"),
            Insn::Endian {
                op: EndianOp::ToBe,
                dst: Reg::R0,
                bits: 16
            }
        );
        assert_eq!(
            one("bswap64 %r0"),
            Insn::Endian {
                op: EndianOp::Swap,
                dst: Reg::R0,
                bits: 64
            }
        );
    }

    #[test]
    fn labels_count_lddw_as_two_slots() {
        let p = assemble("ja l\nlddw %r0, 0x1\nl:\nexit\njeq %r0, 1, exit\n").unwrap();
        assert_eq!(
            p[0],
            Insn::Ja {
                off: 2,
                long: false
            }
        );
        assert_eq!(
            p[4],
            Insn::Jmp {
                width: Width::W64,
                cond: Cond::Eq,
                dst: Reg::R0,
                src: Operand::Imm(1),
                off: -2
            }
        );
        // The result encodes and decodes back to itself.
        assert_eq!(decode(&encode(&p)).unwrap(), p);
    }

    #[test]
    fn rejects_bad_input() {
        for bad in [
            "mov32 %r0, 2147483648",
            "mov32 %r0, 0x100000000",
            "ja NOT_A_LABEL",
            "lock or [%r10-8]",
            "lock",
            "ldxq %r0, %r1",
            "ldxb %r0, %r1",
            "ldxb %r0, [%r1+0x10000]",
            "lddw %r0",
            "or %r0, %r50",
        ] {
            assert!(assemble(&format!("{bad}\nexit\n")).is_err(), "{bad}");
        }
    }
}
