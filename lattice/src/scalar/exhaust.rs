//! Exhaustive soundness sweeps at the 4-bit width: every pair of a family, every pair of members.
//!
//! Families (reduced scalars, deduplicated):
//! * [`ci_family`]: every tnum, every unsigned and every signed interval of the word, and every
//!   unsigned and every signed interval of the sub-register (the 32-bit view), each as a scalar.
//! * [`full_family`]: the CI family plus the best abstraction of every subset of words
//!   ([`super::testkit::family`]); swept with `SLOW_TESTS=1`.
//!
//! Sets of words are bit masks (`BITS <= 6`, so one `u64`). That turns "for every pair of members
//! `(x, y)`, `f(x, y) ∈ γ(r)`" into a few mask operations per abstract pair: `row[b][x]` is the mask
//! of `{ f(x, y) | y ∈ γ(b) }`, and the exact image of `(a, b)` is the union of `row[b][x]` over
//! `x ∈ γ(a)`. Every member of that image is then checked with `contains`. This is the double loop
//! over members, computed once per `(b, x)` instead of once per `(a, b, x)`; nothing is sampled.

use std::collections::HashSet;

use super::refine::Cond;
use super::testkit::{family, slow};
use super::{ScalarOf, Width};
use crate::srange::SRange;
use crate::tnum::Tnum;
use crate::urange::URange;
use crate::word::{WideWord, Word};

/// A set of words of at most 6 bits.
pub type Mask = u64;

/// What one sweep covered (asserted non-empty by the callers, reported by the docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    /// Abstract input pairs (or single inputs for unary sweeps).
    pub cases: u64,
    /// Concrete member pairs (or members) those inputs stand for, all checked.
    pub members: u128,
}

impl Swept {
    fn add(&mut self, o: Swept) {
        self.cases += o.cases;
        self.members += o.members;
    }
}

fn word<W: Word>(i: u32) -> W {
    W::from_u128(u128::from(i))
}

/// The members of a mask, in increasing order.
fn bits(m: Mask) -> impl Iterator<Item = u32> {
    let mut rest = m;
    core::iter::from_fn(move || {
        (rest != 0).then(|| {
            let i = rest.trailing_zeros();
            rest &= rest - 1;
            i
        })
    })
}

/// γ as a mask.
pub fn gamma<W: WideWord>(a: &ScalarOf<W>) -> Mask {
    assert!(W::BITS <= 6, "masks hold at most 64 words");
    a.var_off()
        .members()
        .filter(|&x| a.contains(x))
        .fold(0, |m, x| m | 1 << x.to_u128())
}

/// Every tnum and every interval of the word and of the sub-register, as reduced scalars.
pub fn ci_family<W: WideWord>() -> Vec<ScalarOf<W>> {
    let t = ScalarOf::<W>::top();
    let (tt, tu, ts, tu32, ts32) = (
        t.var_off(),
        t.urange(),
        t.srange(),
        t.urange32(),
        t.srange32(),
    );
    let all = Tnum::<W>::all()
        .map(ScalarOf::from_tnum)
        .chain(URange::<W>::all().filter_map(|u| ScalarOf::from_parts(tt, u, ts, tu32, ts32)))
        .chain(SRange::<W>::all().filter_map(|s| ScalarOf::from_parts(tt, tu, s, tu32, ts32)))
        .chain(URange::<W::Half>::all().filter_map(|u| ScalarOf::from_parts(tt, tu, ts, u, ts32)))
        .chain(SRange::<W::Half>::all().filter_map(|s| ScalarOf::from_parts(tt, tu, ts, tu32, s)));
    dedup(all)
}

/// The CI family plus the best abstraction of every subset of words.
pub fn full_family<W: WideWord>() -> Vec<ScalarOf<W>> {
    dedup(ci_family::<W>().into_iter().chain(family::<W>()))
}

/// The family the default run sweeps: [`ci_family`], or [`full_family`] with `SLOW_TESTS=1`.
pub fn sweep_family<W: WideWord>() -> Vec<ScalarOf<W>> {
    if slow() {
        full_family()
    } else {
        ci_family()
    }
}

fn dedup<W: WideWord>(it: impl Iterator<Item = ScalarOf<W>>) -> Vec<ScalarOf<W>> {
    let mut seen = HashSet::new();
    it.filter(|s| seen.insert(*s)).collect()
}

/// Checks `conc(x, y) ∈ γ(abs(a, b))` for every pair `(a, b)` of `fam` and every `x ∈ γ(a)`,
/// `y ∈ γ(b)`; panics with a witness otherwise.
pub fn binary<W: WideWord>(
    name: &str,
    fam: &[ScalarOf<W>],
    abs: impl Fn(ScalarOf<W>, ScalarOf<W>) -> ScalarOf<W>,
    conc: impl Fn(W, W) -> W,
) -> Swept {
    let n = 1usize << W::BITS;
    let gs: Vec<Mask> = fam.iter().map(gamma).collect();
    // row[b * n + x] = { conc(x, y) | y ∈ γ(b) }
    let mut row = vec![0 as Mask; fam.len() * n];
    for (bi, &gb) in gs.iter().enumerate() {
        for x in 0..n as u32 {
            row[bi * n + x as usize] =
                bits(gb).fold(0, |m, y| m | 1 << conc(word(x), word(y)).to_u128());
        }
    }
    let mut swept = Swept::default();
    for (ai, &a) in fam.iter().enumerate() {
        for (bi, &b) in fam.iter().enumerate() {
            let r = abs(a, b);
            let image = bits(gs[ai]).fold(0, |m, x| m | row[bi * n + x as usize]);
            if let Some(z) = bits(image).find(|&z| !r.contains(word(z))) {
                let (x, y) = witness(gs[ai], gs[bi], |x, y| conc(x, y) == word(z));
                panic!("{name}: {a} op {b} = {r} misses {x} op {y} = {z}");
            }
            swept.cases += 1;
            swept.members += u128::from(gs[ai].count_ones()) * u128::from(gs[bi].count_ones());
        }
    }
    swept
}

/// Checks `conc(x) ∈ γ(abs(a))` for every `a` of `fam` and every `x ∈ γ(a)`.
pub fn unary<W: WideWord>(
    name: &str,
    fam: &[ScalarOf<W>],
    abs: impl Fn(ScalarOf<W>) -> ScalarOf<W>,
    conc: impl Fn(W) -> W,
) -> Swept {
    let mut swept = Swept::default();
    for &a in fam {
        let r = abs(a);
        let g = gamma(&a);
        if let Some(x) = bits(g).find(|&x| !r.contains(conc(word(x)))) {
            panic!("{name}: {a} -> {r} misses {x} -> {}", conc(word(x)));
        }
        swept.cases += 1;
        swept.members += u128::from(g.count_ones());
    }
    swept
}

/// Whether `x <cond> y` holds at a width (32-bit conditions compare the low halves).
pub fn holds<W: WideWord>(cond: Cond, width: Width, x: W, y: W) -> bool {
    match width {
        Width::W64 => cond.eval(x, y),
        Width::W32 => cond.eval(x.lo(), y.lo()),
    }
}

/// Branch refinement: for every pair of `fam`, both outcomes, every `x ∈ γ(a)`, `y ∈ γ(b)` with
/// `x <cond> y == taken`, the edge is feasible and keeps `x` in the refined `a` and `y` in the
/// refined `b`.
///
/// Equivalently: the projections `A' = { x | ∃y, holds }` and `B' = { y | ∃x, holds }` are empty
/// when the edge is dead and contained in the refined operands otherwise; computed by masks.
pub fn refine<W: WideWord>(name: &str, fam: &[ScalarOf<W>], cond: Cond, width: Width) -> Swept {
    refine_with(name, fam, cond, width, |a, b, taken| {
        ScalarOf::refine(cond, width, a, b, taken)
    })
}

/// [`refine`] with the refinement passed in (so the sweep itself can be shown to fail).
pub fn refine_with<W: WideWord>(
    name: &str,
    fam: &[ScalarOf<W>],
    cond: Cond,
    width: Width,
    abs: impl Fn(ScalarOf<W>, ScalarOf<W>, bool) -> Option<(ScalarOf<W>, ScalarOf<W>)>,
) -> Swept {
    let n = 1usize << W::BITS;
    let gs: Vec<Mask> = fam.iter().map(gamma).collect();
    let mut swept = Swept::default();
    for taken in [true, false] {
        // sat[b * n + x] = { y ∈ γ(b) | (x <cond> y) == taken }
        let mut sat = vec![0 as Mask; fam.len() * n];
        for (bi, &gb) in gs.iter().enumerate() {
            for x in 0..n as u32 {
                sat[bi * n + x as usize] = bits(gb)
                    .filter(|&y| holds(cond, width, word::<W>(x), word(y)) == taken)
                    .fold(0, |m, y| m | 1 << y);
            }
        }
        for (ai, &a) in fam.iter().enumerate() {
            for (bi, &b) in fam.iter().enumerate() {
                let (mut pa, mut pb) = (0 as Mask, 0 as Mask);
                for x in bits(gs[ai]) {
                    let ys = sat[bi * n + x as usize];
                    if ys != 0 {
                        pa |= 1 << x;
                        pb |= ys;
                    }
                }
                let r = abs(a, b, taken);
                let lost = match r {
                    None => (pa != 0).then_some((pa, pb)),
                    Some((ra, rb)) => {
                        let la = bits(pa).filter(|&x| !ra.contains(word(x)));
                        let lb = bits(pb).filter(|&y| !rb.contains(word(y)));
                        let (la, lb) =
                            (la.fold(0, |m, x| m | 1 << x), lb.fold(0, |m, y| m | 1 << y));
                        (la | lb != 0).then_some((la, lb))
                    }
                };
                if let Some((la, lb)) = lost {
                    panic!("{name}/{taken}: {a} {b} -> {r:?} loses members {la:#b} of a / {lb:#b} of b");
                }
                swept.cases += 1;
                swept.members += u128::from(gs[ai].count_ones()) * u128::from(gs[bi].count_ones());
            }
        }
    }
    swept
}

/// Some `(x, y)` of the two masks with `p(x, y)` (for failure messages).
fn witness<W: Word>(ga: Mask, gb: Mask, p: impl Fn(W, W) -> bool) -> (u32, u32) {
    bits(ga)
        .flat_map(|x| bits(gb).map(move |y| (x, y)))
        .find(|&(x, y)| p(word(x), word(y)))
        .unwrap_or((u32::MAX, u32::MAX))
}

/// Sums sweeps (for the per-test totals).
pub fn total(parts: impl IntoIterator<Item = Swept>) -> Swept {
    let mut t = Swept::default();
    for p in parts {
        t.add(p);
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::word::U4;

    /// The CI family holds every tnum and interval view; the slow one strictly more.
    #[test]
    fn families_cover_every_tnum_and_interval() {
        let ci = ci_family::<U4>();
        let set: HashSet<_> = ci.iter().copied().collect();
        assert_eq!(set.len(), ci.len());
        for t in Tnum::<U4>::all() {
            assert!(set.contains(&ScalarOf::from_tnum(t)));
        }
        for u in URange::<U4>::all() {
            assert!(set.contains(&ScalarOf::from_urange(u.lo(), u.hi()).unwrap()));
        }
        for s in SRange::<U4>::all() {
            assert!(set.contains(&ScalarOf::from_srange(s.lo(), s.hi()).unwrap()));
        }
        assert!(ci.len() > 81 + 136, "{}", ci.len());
        assert!(full_family::<U4>().len() > ci.len());
        // The masks agree with `contains`.
        for a in &ci {
            let g = gamma(a);
            for x in 0..16u32 {
                assert_eq!(g >> x & 1 == 1, a.contains(U4::new(x as u8)));
            }
        }
    }

    /// A deliberately unsound operator is caught (the sweep can fail).
    #[test]
    #[should_panic(expected = "misses")]
    fn binary_sweep_catches_unsoundness() {
        let fam = ci_family::<U4>();
        binary::<U4>("broken", &fam, |a, _| a, |x, y| x.wrapping_add(y));
    }

    /// A refinement that drops feasible members is caught.
    #[test]
    #[should_panic(expected = "loses")]
    fn refine_sweep_catches_lost_members() {
        let fam = ci_family::<U4>();
        // "Gt taken" answered with both operands' minima: drops every larger member.
        refine_with::<U4>("broken", &fam, Cond::Gt, Width::W64, |a, b, _| {
            Some((ScalarOf::constant(a.umin()), ScalarOf::constant(b.umin())))
        });
    }
}
