//! 64-bit inputs for the byte-swap sweeps, each with the complete list of its members.
//!
//! Byte swaps only mean something at 16, 32 and 64 bits, so they cannot run at the 4-bit width of
//! the other exhaustive sweeps. They are bit permutations followed by truncation, so what can go
//! wrong happens per bit position and at byte boundaries. The inputs therefore are:
//! * windowed tnums: every one of the `3^w` states of a window of `w` bits, placed at every bit
//!   position `0..=64-w` (so across every byte boundary), over three fixed backgrounds (all known
//!   0, all known 1, and the known pattern `0xa5..a5`);
//! * short intervals straddling every byte boundary `2^(8k)`, the sign boundary `2^63` and the
//!   wrap at 0 (as a signed interval), and the same on the sub-register (`u32` view) under a
//!   known high half.
//!
//! Every input is small enough (at most `2^w` or 16 members) to check every member.
#![allow(
    dead_code,
    reason = "shared between the byte-swap tests and the kernel comparison"
)]

use bpfvet_lattice::{Scalar, Tnum};

/// One input: the scalar and every member of its concretization.
pub struct Input {
    pub a: Scalar,
    pub members: Vec<u64>,
    /// Whether the input is exactly a tnum (then byte swaps must be exact, not just sound).
    pub is_tnum: bool,
}

/// The byte-swap operations, as `(name, bits)`.
pub const OPS: [(&str, u32); 9] = [
    ("bswap", 16),
    ("bswap", 32),
    ("bswap", 64),
    ("to_be", 16),
    ("to_be", 32),
    ("to_be", 64),
    ("to_le", 16),
    ("to_le", 32),
    ("to_le", 64),
];

/// The abstract operation.
pub fn abs(name: &str, bits: u32, a: Scalar) -> Scalar {
    match name {
        "bswap" => a.bswap(bits),
        "to_be" => a.to_be(bits),
        _ => a.to_le(bits),
    }
}

/// The concrete operation on a little-endian target: `to_le` truncates, the others swap the low
/// `bits / 8` bytes and clear the rest.
pub fn conc(name: &str, bits: u32, x: u64) -> u64 {
    let low = if bits == 64 { x } else { x & ((1 << bits) - 1) };
    match name {
        "to_le" => low,
        _ => match bits {
            16 => u64::from((low as u16).swap_bytes()),
            32 => u64::from((low as u32).swap_bytes()),
            _ => low.swap_bytes(),
        },
    }
}

/// Every tnum of a `w`-bit window at every position over the three backgrounds.
pub fn windowed_tnums(w: u32) -> Vec<Input> {
    let mut res = Vec::new();
    for bg in [0u64, u64::MAX, 0xa5a5_a5a5_a5a5_a5a5] {
        for p in 0..=64 - w {
            let win = ((1u64 << w) - 1) << p;
            // Each window bit is 0, 1 or unknown: count in base 3.
            for code in 0..3u32.pow(w) {
                let (mut v, mut m, mut c) = (bg & !win, 0u64, code);
                for i in 0..w {
                    match c % 3 {
                        1 => v |= 1 << (p + i),
                        2 => m |= 1 << (p + i),
                        _ => {}
                    }
                    c /= 3;
                }
                let t = Tnum::unwrap_new(v, m);
                res.push(Input {
                    a: Scalar::from_tnum(t),
                    members: t.members().collect(),
                    is_tnum: true,
                });
            }
        }
    }
    res
}

/// Short intervals (up to 16 members) around every byte boundary, the sign boundary and zero,
/// on the full register and on the sub-register.
pub fn boundary_intervals() -> Vec<Input> {
    let mut res = Vec::new();
    let mut bounds: Vec<u64> = (1..8).map(|k| 1u64 << (8 * k)).collect();
    bounds.push(1 << 63);
    for &b in &bounds {
        for d1 in 0..=8u64 {
            for d2 in 1..=8u64 {
                let (lo, hi) = (b - d1, b + d2 - 1);
                let a = Scalar::from_urange(lo, hi).expect("ordered");
                res.push(Input {
                    a,
                    members: (lo..=hi).collect(),
                    is_tnum: false,
                });
            }
        }
    }
    // Across zero, a signed interval: [-d1, d2 - 1].
    for d1 in 1..=8u64 {
        for d2 in 1..=8u64 {
            let (lo, hi) = (d1.wrapping_neg(), d2 - 1);
            let a = Scalar::from_srange(lo, hi).expect("ordered");
            let members = (lo..=u64::MAX).chain(0..=hi).collect();
            res.push(Input {
                a,
                members,
                is_tnum: false,
            });
        }
    }
    // The sub-register view under a known high half: only `u32` says where the low half is.
    let top = Scalar::top();
    for high in [0u64, 0x0000_0001, 0x8000_0000, 0xffff_ffff] {
        for k in 1..4 {
            let b = 1u32 << (8 * k);
            for (d1, d2) in [(1u32, 1u32), (4, 4), (8, 8), (0, 16), (16, 0)] {
                let (lo, hi) = (b - d1, b + d2 - 1);
                let t = Tnum::unwrap_new(high << 32, 0xffff_ffff);
                let u32 = bpfvet_lattice::URange::new(lo, hi).expect("ordered");
                let a = Scalar::from_parts(t, top.urange(), top.srange(), u32, top.srange32())
                    .expect("non-empty");
                let members = (lo..=hi).map(|l| high << 32 | u64::from(l)).collect();
                res.push(Input {
                    a,
                    members,
                    is_tnum: false,
                });
            }
        }
    }
    for inp in &res {
        assert!(inp.members.iter().all(|&x| inp.a.contains(x)));
    }
    res
}

/// Whether the wider sweeps are enabled (`SLOW_TESTS=1`).
pub fn slow() -> bool {
    std::env::var("SLOW_TESTS").is_ok_and(|v| v == "1")
}
