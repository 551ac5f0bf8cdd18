//! Byte swaps (`bswap16/32/64`, `to_be`, `to_le`) at 64 bits, member by member.
//!
//! Soundness: for every input of [`inputs`] (every tnum of a 5-bit window at every bit position over
//! three backgrounds, and short intervals across every byte boundary) and every member `x`, the
//! concrete result is in the abstract one. Exactness: on tnum inputs the result's concretization is
//! exactly the image (byte swaps and truncation are bit permutations and projections, so nothing
//! may be lost or added). `SLOW_TESTS=1` widens the window to 7 bits.

#[path = "byte_swaps/inputs.rs"]
mod inputs;

use std::collections::HashSet;

use inputs::{abs, conc, Input, OPS};

fn window() -> u32 {
    if inputs::slow() {
        7
    } else {
        5
    }
}

/// Checks every member of every input; returns (cases, members checked).
fn sweep(ins: &[Input], exact: bool) -> (u64, u64) {
    let (mut cases, mut checked) = (0, 0);
    for inp in ins {
        for (name, bits) in OPS {
            let r = abs(name, bits, inp.a);
            let mut image = HashSet::new();
            for &x in &inp.members {
                let z = conc(name, bits, x);
                assert!(
                    r.contains(z),
                    "{name}{bits}: {} -> {r} misses {x:#x} -> {z:#x}",
                    inp.a
                );
                image.insert(z);
                checked += 1;
            }
            if exact && inp.is_tnum {
                // γ(r) ⊆ γ(var_off), which has exactly |image| members, all of them in γ(r).
                assert_eq!(
                    r.var_off().count(),
                    image.len() as u128,
                    "{name}{bits}: {} -> {r} is not exact",
                    inp.a
                );
            }
            cases += 1;
        }
    }
    (cases, checked)
}

#[test]
fn byte_swaps_windowed_tnums_sound_and_exact() {
    let w = window();
    let ins = inputs::windowed_tnums(w);
    assert_eq!(ins.len() as u64, 3 * u64::from(65 - w) * 3u64.pow(w));
    let (cases, checked) = sweep(&ins, true);
    println!(
        "windowed tnums (w={w}): {} inputs, {cases} cases, {checked} members",
        ins.len()
    );
    assert_eq!(cases, ins.len() as u64 * OPS.len() as u64);
}

#[test]
fn byte_swaps_boundary_intervals_sound() {
    let ins = inputs::boundary_intervals();
    let (cases, checked) = sweep(&ins, false);
    println!(
        "boundary intervals: {} inputs, {cases} cases, {checked} members",
        ins.len()
    );
    assert!(cases > 500 && checked > 5000, "{cases} {checked}");
}

/// A few results spelled out (little-endian target).
#[test]
fn byte_swap_examples() {
    use bpfvet_lattice::{Scalar, Tnum};
    let c = Scalar::constant(0x1122_3344_5566_7788);
    assert_eq!(c.bswap(16).is_const(), Some(0x8877));
    assert_eq!(c.to_be(32).is_const(), Some(0x8877_6655));
    assert_eq!(c.bswap(64).is_const(), Some(0x8877_6655_4433_2211));
    assert_eq!(c.to_le(16).is_const(), Some(0x7788));
    assert_eq!(c.to_le(64), c);
    // An unknown low nibble moves to bits 8..12 under bswap16.
    let t = Scalar::from_tnum(Tnum::unwrap_new(0x10, 0x0f));
    let r = t.bswap(16);
    assert_eq!(r.var_off(), Tnum::unwrap_new(0x1000, 0x0f00));
    assert_eq!((r.umin(), r.umax()), (0x1000, 0x1f00));
}
