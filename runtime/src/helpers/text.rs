//! Text helpers: `strtol`/`strtoul` (kernel `__bpf_strtoull` in `kernel/bpf/helpers.c`),
//! `snprintf`, and the iterator programs' `seq_printf`/`seq_write`, whose output is captured
//! in `System::seq_output`. Formatting is `trace_printk`'s (see `format_printk`).

use super::{format_printk, neg};
use crate::machine::Machine;
use crate::maps::errno;
use crate::FaultKind;

/// Helper ids served here.
pub mod id {
    pub const STRTOL: i32 = 105;
    pub const STRTOUL: i32 = 106;
    pub const SEQ_PRINTF: i32 = 126;
    pub const SEQ_WRITE: i32 = 127;
    pub const SNPRINTF: i32 = 165;
}

/// `ERANGE`.
const ERANGE: i64 = 34;
/// The base bits of the flags (0 = detect, 8, 10 or 16).
const BASE_MASK: u64 = 0x1f;
/// Room of a `seq_file` buffer (one page): writes past it overflow.
const SEQ_ROOM: usize = 4096;

/// Calls helper `hid` if it is one of ours.
pub(crate) fn call(m: &mut Machine, hid: i32, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    Some(match hid {
        id::STRTOL | id::STRTOUL => strto(m, a, hid == id::STRTOL),
        id::SEQ_PRINTF => seq_printf(m, a),
        id::SNPRINTF => snprintf(m, a),
        id::SEQ_WRITE => m
            .mem
            .read_bytes(a[1], a[2] as usize)
            .map(|b| seq_append(m, &b)),
        _ => return None,
    })
}

/// The result of parsing: characters consumed, whether there was a minus sign, the magnitude.
type Parsed = Result<(usize, bool, u64), i64>;

/// `__bpf_strtoull`: leading whitespace, an optional `-`, then an integer in `base` (0
/// detects `0x`/`0` prefixes, and base 16 skips `0x`), at most 63 characters looked at.
fn parse(buf: &[u8], flags: u64) -> Parsed {
    let mut base = (flags & BASE_MASK) as u32;
    if buf.is_empty() || !matches!(base, 0 | 8 | 10 | 16) || flags & !BASE_MASK != 0 {
        return Err(errno::EINVAL);
    }
    let mut i = buf
        .iter()
        .position(|b| !b.is_ascii_whitespace() || *b == 0)
        .unwrap_or(buf.len());
    let negative = buf.get(i) == Some(&b'-');
    if negative {
        i += 1;
    }
    if i == buf.len() {
        return Err(errno::EINVAL);
    }
    let consumed = i;
    let end = buf.len().min(i + 63);
    let s: Vec<u8> = buf[i..end]
        .iter()
        .copied()
        .take_while(|&b| b != 0)
        .collect();
    let lower = |k: usize| s.get(k).map(u8::to_ascii_lowercase);
    let mut j = 0;
    if base == 0 {
        base = if s.first() == Some(&b'0') {
            if lower(1) == Some(b'x') && s.get(2).is_some_and(u8::is_ascii_hexdigit) {
                16
            } else {
                8
            }
        } else {
            10
        };
    }
    if base == 16 && s.first() == Some(&b'0') && lower(1) == Some(b'x') {
        j = 2;
    }
    let start = j;
    let mut v: u64 = 0;
    let mut overflow = false;
    while let Some(d) = s.get(j).and_then(|c| (*c as char).to_digit(base)) {
        match v
            .checked_mul(u64::from(base))
            .and_then(|x| x.checked_add(u64::from(d)))
        {
            Some(x) => v = x,
            None => overflow = true,
        }
        j += 1;
    }
    if overflow {
        return Err(ERANGE);
    }
    if j == start {
        return Err(errno::EINVAL);
    }
    Ok((consumed + j, negative, v))
}

/// `strtol(buf, len, flags, res)` / `strtoul`: the characters consumed, the value stored at
/// `res`; `EINVAL` for a bad base, no digits, or (`strtoul`) a minus sign; `ERANGE` when it
/// does not fit.
fn strto(m: &mut Machine, a: [u64; 5], signed: bool) -> Result<u64, FaultKind> {
    let buf = m.mem.read_bytes(a[0], a[1] as usize)?;
    let (n, negative, v) = match parse(&buf, a[2]) {
        Ok(x) => x,
        Err(e) => return Ok(neg(e)),
    };
    let res = if signed {
        let r = if negative { v.wrapping_neg() } else { v };
        // The sign must come out as written: no magnitude past i64's.
        if (negative && (r as i64) > 0) || (!negative && (r as i64) < 0) {
            return Ok(neg(ERANGE));
        }
        r
    } else if negative {
        return Ok(neg(errno::EINVAL));
    } else {
        v
    };
    m.mem.write_bytes(a[3], &res.to_le_bytes())?;
    Ok(n as u64)
}

/// `seq_printf(seq, fmt, fmt_size, data, data_len)`: arguments come as an array of u64 (at
/// most 12); 0, or `EOVERFLOW` when the page is full.
fn seq_printf(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let Some(args) = printf_args(m, a[3], a[4])? else {
        return Ok(neg(errno::EINVAL));
    };
    let fmt = m.mem.read_bytes(a[1], a[2] as usize)?;
    let line = format_printk(m, &fmt, &args)?;
    Ok(seq_append(m, line.as_bytes()))
}

/// The u64 argument array of the printf-like helpers (`data_len` bytes at `data`, at most
/// 12 arguments, `MAX_BPRINTF_VARARGS`), or `None` when the kernel refuses it (`EINVAL`).
fn printf_args(m: &mut Machine, data: u64, data_len: u64) -> Result<Option<Vec<u64>>, FaultKind> {
    if data_len % 8 != 0 || data_len > 12 * 8 || (data_len != 0 && data == 0) {
        return Ok(None);
    }
    let raw = m.mem.read_bytes(data, data_len as usize)?;
    Ok(Some(
        raw.chunks_exact(8)
            .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()))
            .collect(),
    ))
}

/// `snprintf(str, size, fmt, data, data_len)`: the output, truncated to `size - 1` bytes and
/// NUL-terminated, in `str`; returns the untruncated length plus one (the NUL), as the kernel.
fn snprintf(m: &mut Machine, a: [u64; 5]) -> Result<u64, FaultKind> {
    let Some(args) = printf_args(m, a[3], a[4])? else {
        return Ok(neg(errno::EINVAL));
    };
    // The format is a constant NUL-terminated string (the verifier checked it).
    let fmt = m.mem.read_cstr(a[2], 1 << 16)?;
    let line = format_printk(m, &fmt, &args)?;
    let size = a[1] as u32 as usize;
    if size > 0 {
        let n = line.len().min(size - 1);
        let mut out = line.as_bytes()[..n].to_vec();
        out.push(0);
        m.mem.write_bytes(a[0], &out)?;
    }
    Ok(line.len() as u64 + 1)
}

fn seq_append(m: &mut Machine, bytes: &[u8]) -> u64 {
    let out = &mut m.env.system.seq_output;
    if out.len() + bytes.len() > SEQ_ROOM {
        return neg(errno::EOVERFLOW);
    }
    out.extend_from_slice(bytes);
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_follows_the_kernel_rules() {
        assert_eq!(parse(b"  42abc", 0), Ok((4, false, 42)));
        assert_eq!(parse(b"-17", 10), Ok((3, true, 17)));
        assert_eq!(parse(b"0x1f", 0), Ok((4, false, 31)));
        assert_eq!(parse(b"0x1f", 16), Ok((4, false, 31)));
        assert_eq!(parse(b"017", 0), Ok((3, false, 15)));
        assert_eq!(parse(b"0", 0), Ok((1, false, 0)));
        assert_eq!(parse(b"abc", 10), Err(errno::EINVAL));
        assert_eq!(parse(b"12", 7), Err(errno::EINVAL));
        assert_eq!(parse(b"   ", 10), Err(errno::EINVAL));
        assert_eq!(parse(b"99999999999999999999", 10), Err(ERANGE));
        // Only the given length is read: "12" of "123".
        assert_eq!(parse(&b"123"[..2], 10), Ok((2, false, 12)));
    }
}
