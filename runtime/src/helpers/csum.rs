//! Checksum fix-ups in the packet: `l3_csum_replace` and `l4_csum_replace`
//! (`net/core/filter.c`), with the kernel's ones'-complement arithmetic (`csum_replace2`,
//! `csum_replace4`, `csum_replace_by_diff` of `include/net/checksum.h`).
//!
//! Sums are computed on the bytes as the host reads them (little-endian words), as the
//! kernel does on a little-endian machine; `from` and `to` are the values the program passes,
//! which it read from the packet the same way. Packets offline arrive with
//! `ip_summed = CHECKSUM_NONE` (as `BPF_PROG_TEST_RUN` builds them), so the L4 variant updates
//! the field exactly as the L3 one, whatever the pseudo-header flag says.

use super::neg;
use crate::machine::Machine;
use crate::maps::errno;
use crate::FaultKind;

/// Helper ids served here.
pub mod id {
    pub const L3_CSUM_REPLACE: i32 = 10;
    pub const L4_CSUM_REPLACE: i32 = 11;
}

/// The size of the field being replaced (0: `to` is a precomputed difference, 2 or 4 bytes).
const BPF_F_HDR_FIELD_MASK: u64 = 0xf;
/// `l4_csum_replace`: the field is part of the pseudo header / a zero checksum means "none"
/// (keep it zero, write a computed zero as 0xffff) / ... even when mangling / IPv6.
const BPF_F_PSEUDO_HDR: u64 = 1 << 4;
const BPF_F_MARK_MANGLED_0: u64 = 1 << 5;
const BPF_F_MARK_ENFORCE: u64 = 1 << 6;
const BPF_F_IPV6: u64 = 1 << 7;
/// What a checksum that computes to 0 is written as under `BPF_F_MARK_MANGLED_0`.
const CSUM_MANGLED_0: u16 = 0xffff;

/// Calls helper `hid` if it is one of ours.
pub(crate) fn call(m: &mut Machine, hid: i32, a: [u64; 5]) -> Option<Result<u64, FaultKind>> {
    Some(match hid {
        id::L3_CSUM_REPLACE => replace(m, a, false),
        id::L4_CSUM_REPLACE => replace(m, a, true),
        _ => return None,
    })
}

fn csum_add(a: u32, b: u32) -> u32 {
    let (res, carry) = a.overflowing_add(b);
    res + u32::from(carry)
}

fn csum_fold(s: u32) -> u16 {
    let s = (s & 0xffff) + (s >> 16);
    let s = (s & 0xffff) + (s >> 16);
    !(s as u16)
}

fn csum16_add(a: u16, b: u16) -> u16 {
    let res = a.wrapping_add(b);
    res.wrapping_add(u16::from(res < b))
}

/// The new checksum after replacing `from` by `to` in a field of `size` bytes (0: `to` is a
/// difference), or `None` for a size the kernel refuses.
fn updated(sum: u16, from: u64, to: u64, size: u64) -> Option<u16> {
    Some(match size {
        0 => csum_fold(csum_add(to as u32, !u32::from(sum))),
        2 => !csum16_add(csum16_add(!sum, !(from as u16)), to as u16),
        4 => csum_fold(csum_add(
            csum_add(!u32::from(sum), !(from as u32)),
            to as u32,
        )),
        _ => return None,
    })
}

/// `l3_csum_replace(skb, offset, from, to, flags)` / `l4_csum_replace`: `EINVAL` for
/// unknown flags, a bad size, or a non-zero `from` with a difference; `EFAULT` for an odd or
/// huge offset or a field past the packet; else 0 with the checksum at `offset` updated.
fn replace(m: &mut Machine, a: [u64; 5], l4: bool) -> Result<u64, FaultKind> {
    let (offset, from, to, flags) = (a[1] as u32, a[2], a[3], a[4]);
    let known = if l4 {
        BPF_F_HDR_FIELD_MASK
            | BPF_F_PSEUDO_HDR
            | BPF_F_MARK_MANGLED_0
            | BPF_F_MARK_ENFORCE
            | BPF_F_IPV6
    } else {
        BPF_F_HDR_FIELD_MASK
    };
    if flags & !known != 0 {
        return Ok(neg(errno::EINVAL));
    }
    if offset > 0xffff || offset & 1 != 0 {
        return Ok(neg(errno::EFAULT));
    }
    let Some((_, data, end)) = m.mem.packet_bounds() else {
        return Ok(neg(errno::EFAULT));
    };
    if u64::from(offset) + 2 > end - data {
        return Ok(neg(errno::EFAULT));
    }
    let at = data + u64::from(offset);
    let b = m.mem.read_bytes(at, 2)?;
    let sum = u16::from_le_bytes([b[0], b[1]]);
    let mangled = l4 && flags & BPF_F_MARK_MANGLED_0 != 0;
    if mangled && flags & BPF_F_MARK_ENFORCE == 0 && sum == 0 {
        return Ok(0);
    }
    let size = flags & BPF_F_HDR_FIELD_MASK;
    if size == 0 && from != 0 {
        return Ok(neg(errno::EINVAL));
    }
    let Some(mut new) = updated(sum, from, to, size) else {
        return Ok(neg(errno::EINVAL));
    };
    if mangled && new == 0 {
        new = CSUM_MANGLED_0;
    }
    m.mem.write_bytes(at, &new.to_le_bytes())?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ones'-complement checksum of big-endian 16-bit words, as stored in a header.
    fn checksum(words: &[u16]) -> u16 {
        let mut s: u32 = words.iter().map(|&w| u32::from(w)).sum();
        while s > 0xffff {
            s = (s & 0xffff) + (s >> 16);
        }
        !(s as u16)
    }

    /// Host (little-endian) reading of a big-endian word, as the program and helper see it.
    fn host(w: u16) -> u16 {
        u16::from_le_bytes(w.to_be_bytes())
    }

    #[test]
    fn incremental_updates_match_a_full_recompute() {
        let mut words = vec![
            0x4500, 0x0054, 0x1c46, 0x4000, 0x4001, 0x0000, 0xc0a8, 0x0001,
        ];
        let sum = checksum(&words);
        // Replace one 16-bit word.
        let old = words[6];
        words[6] = 0x0a00;
        let want = checksum(&words);
        assert_eq!(
            updated(host(sum), u64::from(host(old)), u64::from(host(0x0a00)), 2),
            Some(host(want))
        );
        // Replace a 32-bit field (two words).
        let (o1, o2) = (words[6], words[7]);
        words[6] = 0x0808;
        words[7] = 0x0404;
        let want4 = checksum(&words);
        let as32 = |a: u16, b: u16| {
            u64::from(u32::from_le_bytes([
                (a >> 8) as u8,
                a as u8,
                (b >> 8) as u8,
                b as u8,
            ]))
        };
        assert_eq!(
            updated(host(want), as32(o1, o2), as32(0x0808, 0x0404), 4),
            Some(host(want4))
        );
        assert_eq!(updated(0, 0, 0, 3), None);
    }
}
