//! The reduction of the product: carries facts between the five views until none changes.
//!
//! The views are the tnum, the unsigned and signed full-width ranges, and the unsigned and signed
//! ranges of the low half (the 32-bit sub-register).
//! Let `L` be the set of low halves allowed by the low views (`tnum.lo() ∩ u32 ∩ s32`).
//! Then `γ = { x | x ∈ tnum ∩ u ∩ s, lo(x) ∈ L }`.
//!
//! One round:
//! 1. The low views are intersected with the low halves of the full ranges (an interval shorter than
//!    `2^32` has low halves forming one arc modulo `2^32`, whose unsigned and signed hulls are exact),
//!    then `u32` and `s32` become the exact unsigned and signed hulls of `L`, found with
//!    [`Tnum::next_ge`] walks over the at most two pieces of `u32 ∩ s32`.
//! 2. `umin`, `umax`, `smin` and `smax` become the exact extremes of `γ`: from the first candidate in
//!    each piece of `u ∩ s`, either its high half is allowed and the next allowed low half exists in
//!    that block, or we step to the next allowed high half and the smallest element of `L`.
//!    The signed extremes are the same search after flipping the sign bit, which swaps the roles of
//!    `u` and `s` and leaves the low half alone.
//! 3. The tnum is intersected with `tnum_range` of each range (signed ones through the sign flip).
//!
//! The specification repeats rounds until nothing changes; the result is then a fixpoint, so
//! `reduce` is idempotent. The implementation reaches the same fixpoint with less work: every step
//! preserves `γ`, so the exact hulls of step 2 are final after the first round, and so is step 3;
//! only the low-half step can still move (the arcs of the now tighter full ranges, the low tnum met
//! with the now tighter low hulls), so only that step is repeated, and only while the low hulls
//! move. A constant view decides everything at once. The tests compare it with the rounds.
//! An empty `γ` is detected exactly (the extreme searches are exact), and gives `None`.
//! Because the full-width bounds are the exact hull of `γ`, they are at least as tight as anything
//! the kernel's `reg_bounds_sync` derives.

use crate::srange::SRange;
use crate::tnum::Tnum;
use crate::urange::URange;
use crate::word::{WideWord, Word};

use super::ScalarOf;

/// Unsigned and signed hulls of the arc `{start, start+1, ..., start+len}` (modulo `2^BITS`).
#[inline]
pub(crate) fn arc_hulls<V: Word>(start: V, len: u128) -> (URange<V>, SRange<V>) {
    if len >= V::MAX.to_u128() {
        return (URange::full(), SRange::full());
    }
    let end = start.wrapping_add(V::from_u128(len));
    let u = URange::new(start, end).unwrap_or_else(URange::full);
    let s = SRange::new(start, end).unwrap_or_else(SRange::full);
    (u, s)
}

/// The pieces of `γ(u) ∩ γ(s)` in increasing unsigned order (at most two).
#[inline]
fn pieces<V: Word>(u: URange<V>, s: SRange<V>) -> [Option<URange<V>>; 2] {
    if s.lo() <= s.hi() {
        // The signed range does not wrap in the unsigned order.
        [
            u.meet(URange::new(s.lo(), s.hi()).unwrap_or_else(URange::full)),
            None,
        ]
    } else {
        // Signed range crosses zero: unsigned pieces [0, hi] and [lo, MAX].
        let low = URange::new(V::ZERO, s.hi()).and_then(|p| u.meet(p));
        let high = URange::new(s.lo(), V::MAX).and_then(|p| u.meet(p));
        [low, high]
    }
}

/// A set of half words `tnum ∩ u ∩ s` with exact next/previous member queries.
#[derive(Clone, Copy)]
struct HalfSet<H: Word> {
    t: Tnum<H>,
    ps: [Option<URange<H>>; 2],
}

impl<H: Word> HalfSet<H> {
    fn new(t: Tnum<H>, u: URange<H>, s: SRange<H>) -> Self {
        HalfSet {
            t,
            ps: pieces(u, s),
        }
    }

    fn next_ge(&self, x: H) -> Option<H> {
        self.ps
            .iter()
            .flatten()
            .filter(|p| p.hi() >= x)
            .find_map(|p| {
                let y = self.t.next_ge(x.max(p.lo()))?;
                (y <= p.hi()).then_some(y)
            })
    }

    fn prev_le(&self, x: H) -> Option<H> {
        self.ps
            .iter()
            .rev()
            .flatten()
            .filter(|p| p.lo() <= x)
            .find_map(|p| {
                let y = self.t.prev_le(x.min(p.hi()))?;
                (y >= p.lo()).then_some(y)
            })
    }

    fn min(&self) -> Option<H> {
        self.next_ge(H::ZERO)
    }

    fn max(&self) -> Option<H> {
        self.prev_le(H::MAX)
    }
}

/// Smallest `x >= from`, `x <= to`, with `hi(x) ∈ t_hi` and `lo(x) ∈ low`.
fn first_from<W: WideWord>(
    from: W,
    to: W,
    t_hi: Tnum<W::Half>,
    low: &HalfSet<W::Half>,
    l_min: W::Half,
) -> Option<W> {
    let (h, l) = (from.hi(), from.lo());
    let cand = if t_hi.contains(h) {
        match low.next_ge(l) {
            Some(l2) => W::from_halves(h, l2),
            None => {
                let h2 = t_hi.next_ge(h.wrapping_add(W::Half::ONE))?;
                if h2 <= h {
                    return None;
                }
                W::from_halves(h2, l_min)
            }
        }
    } else {
        W::from_halves(t_hi.next_ge(h)?, l_min)
    };
    (cand <= to).then_some(cand)
}

/// Largest `x <= from`, `x >= to`, with `hi(x) ∈ t_hi` and `lo(x) ∈ low`.
fn last_from<W: WideWord>(
    from: W,
    to: W,
    t_hi: Tnum<W::Half>,
    low: &HalfSet<W::Half>,
    l_max: W::Half,
) -> Option<W> {
    let (h, l) = (from.hi(), from.lo());
    let cand = if t_hi.contains(h) {
        match low.prev_le(l) {
            Some(l2) => W::from_halves(h, l2),
            None => {
                if h == W::Half::ZERO {
                    return None;
                }
                W::from_halves(t_hi.prev_le(h.wrapping_sub(W::Half::ONE))?, l_max)
            }
        }
    } else {
        W::from_halves(t_hi.prev_le(h)?, l_max)
    };
    (cand >= to).then_some(cand)
}

/// Exact unsigned `[min, max]` of `{ x ∈ t ∩ u ∩ s | lo(x) ∈ low }`, given the smallest and largest
/// members of `low` (the caller has them as the low hulls, so they are not searched again).
fn extremes<W: WideWord>(
    t: Tnum<W>,
    u: URange<W>,
    s: SRange<W>,
    low: &HalfSet<W::Half>,
    (l_min, l_max): (W::Half, W::Half),
) -> Option<(W, W)> {
    let t_hi = t.hi();
    let ps = pieces(u, s);
    let min = ps
        .iter()
        .flatten()
        .find_map(|p| first_from(p.lo(), p.hi(), t_hi, low, l_min))?;
    let max = ps
        .iter()
        .rev()
        .flatten()
        .find_map(|p| last_from(p.hi(), p.lo(), t_hi, low, l_max))?;
    Some((min, max))
}

/// `tnum_range` of a signed interval: through the sign flip, the signed interval is an unsigned one.
#[inline]
fn tnum_srange<V: Word>(s: SRange<V>) -> Tnum<V> {
    Tnum::range(s.lo() ^ V::SIGN, s.hi() ^ V::SIGN).flip_sign()
}

/// Replaces the low half of a tnum.
#[inline]
fn with_lo<W: WideWord>(t: Tnum<W>, lo: Tnum<W::Half>) -> Tnum<W> {
    Tnum::from_halves(t.hi(), lo)
}

/// Steps 1 of a round on the low half: the arcs of the full ranges (if `arcs`), then `t_lo` met
/// with the `tnum_range` of the low ranges, then the exact hulls of `L = t_lo ∩ u32 ∩ s32`.
/// Returns the new `(t_lo, u32, s32)` and the ranges `t_lo` was met with.
#[allow(
    clippy::type_complexity,
    reason = "one tuple of views, named at the call sites"
)]
#[inline]
fn low_step<W: WideWord>(
    t_lo: Tnum<W::Half>,
    u: URange<W>,
    s: SRange<W>,
    mut u32: URange<W::Half>,
    mut s32: SRange<W::Half>,
    arcs: bool,
) -> Option<(
    Tnum<W::Half>,
    URange<W::Half>,
    SRange<W::Half>,
    (URange<W::Half>, SRange<W::Half>),
)> {
    let hb = W::Half::BITS;
    if arcs {
        // 64 -> 32: the low halves of a short full-width interval form one arc.
        let span_u = u.hi().to_u128() - u.lo().to_u128();
        if span_u >> hb == 0 {
            let (au, as_) = arc_hulls::<W::Half>(u.lo().lo(), span_u);
            u32 = u32.meet(au)?;
            s32 = s32.meet(as_)?;
        }
        let span_s = (s.hi().to_i128() - s.lo().to_i128()) as u128;
        if span_s >> hb == 0 {
            let (au, as_) = arc_hulls::<W::Half>(s.lo().lo(), span_s);
            u32 = u32.meet(au)?;
            s32 = s32.meet(as_)?;
        }
    }
    // Exact hulls of the low-half set.
    let t_lo = t_lo
        .meet(Tnum::range(u32.lo(), u32.hi()))?
        .meet(tnum_srange(s32))?;
    let met = (u32, s32);
    let low = HalfSet::new(t_lo, u32, s32);
    let u32 = URange::new(low.min()?, low.max()?)?;
    let flipped = HalfSet::new(
        t_lo.flip_sign(),
        URange::new(s32.lo() ^ W::Half::SIGN, s32.hi() ^ W::Half::SIGN)?,
        SRange::new(u32.lo() ^ W::Half::SIGN, u32.hi() ^ W::Half::SIGN)
            .unwrap_or_else(SRange::full),
    );
    let s32 = SRange::new(
        flipped.min()? ^ W::Half::SIGN,
        flipped.max()? ^ W::Half::SIGN,
    )?;
    Some((t_lo, u32, s32, met))
}

impl<W: WideWord> ScalarOf<W> {
    /// Reduces the five views to a common fixpoint; `None` if they contradict (empty `γ`).
    ///
    /// The same fixpoint as repeating [`ScalarOf::round`] until nothing changes (the tests compare
    /// the two), computed with less work: every step preserves `γ`, so after the first round the
    /// full-width ranges are the exact hulls of `γ` for good and the tnum already lies inside their
    /// `tnum_range`; what can still move is the low half (the arcs of the new full ranges, and the
    /// low tnum against the new low hulls), so only the low step is repeated, and only while the
    /// low hulls move. A constant view short-cuts everything.
    pub fn reduce(
        t: Tnum<W>,
        u: URange<W>,
        s: SRange<W>,
        u32: URange<W::Half>,
        s32: SRange<W::Half>,
    ) -> Option<Self> {
        let input = ScalarOf {
            var_off: t,
            u,
            s,
            u32,
            s32,
        };
        // A known value: γ is that value or nothing.
        if let Some(v) = t.is_const().or(u.is_const()).or(s.is_const()) {
            return input.contains(v).then(|| Self::constant(v));
        }
        let (mut cur, settled) = input.round_flagged()?;
        if settled {
            return Some(cur);
        }
        // The arcs of the full ranges were taken from the input ranges; redo them once if the
        // round tightened those.
        let mut arcs = cur.u != u || cur.s != s;
        // Each step only shrinks the low views; two or three steps suffice in practice.
        for _ in 0..64 {
            let (t_lo, u32, s32, met) =
                low_step::<W>(cur.var_off.lo(), cur.u, cur.s, cur.u32, cur.s32, arcs)?;
            let next = ScalarOf {
                var_off: with_lo(cur.var_off, t_lo),
                u32,
                s32,
                ..cur
            };
            // If the hulls equal the ranges `t_lo` was just met with, another step would meet it
            // with the same ranges and find the same hulls: `next` is the fixpoint.
            if next == cur || (u32, s32) == met {
                return Some(next);
            }
            cur = next;
            arcs = false;
        }
        debug_assert!(false, "reduce did not converge: {cur:?}");
        Some(cur)
    }

    /// One full round of the reduction (the specification of [`ScalarOf::reduce`]'s fixpoint).
    #[cfg(test)]
    pub(crate) fn round(self) -> Option<Self> {
        self.round_flagged().map(|(r, _)| r)
    }

    /// One full round; the flag says the result is already a fixpoint of the round: the full ranges
    /// did not move (their arcs are already applied), the low hulls equal the ranges the low tnum
    /// was met with, and the last step left the low tnum alone.
    fn round_flagged(self) -> Option<(Self, bool)> {
        let ScalarOf {
            var_off: t,
            u,
            s,
            u32,
            s32,
        } = self;
        let (t_lo, u32, s32, met) = low_step::<W>(t.lo(), u, s, u32, s32, true)?;
        let low = HalfSet::new(t_lo, u32, s32);
        let t = with_lo(t, t_lo);
        // Exact full-width extremes, unsigned then signed (through the sign flip).
        let l_ext = (u32.lo(), u32.hi());
        let (umin, umax) = extremes(t, u, s, &low, l_ext)?;
        let su = URange::new(s.lo() ^ W::SIGN, s.hi() ^ W::SIGN)?;
        let us = SRange::new(u.lo() ^ W::SIGN, u.hi() ^ W::SIGN).unwrap_or_else(SRange::full);
        let (smin, smax) = extremes(t.flip_sign(), su, us, &low, l_ext)?;
        let nu = URange::new(umin, umax)?;
        let ns = SRange::new(smin ^ W::SIGN, smax ^ W::SIGN)?;
        // Ranges -> tnum.
        let nt = t.meet(Tnum::range(umin, umax))?.meet(tnum_srange(ns))?;
        let settled = nu == u && ns == s && (u32, s32) == met && nt.lo() == t_lo;
        Some((
            ScalarOf {
                var_off: nt,
                u: nu,
                s: ns,
                u32,
                s32,
            },
            settled,
        ))
    }

    /// The reduction as specified: [`ScalarOf::round`] repeated until nothing changes.
    #[cfg(test)]
    pub(crate) fn reduce_by_rounds(
        t: Tnum<W>,
        u: URange<W>,
        s: SRange<W>,
        u32: URange<W::Half>,
        s32: SRange<W::Half>,
    ) -> Option<Self> {
        let mut cur = ScalarOf {
            var_off: t,
            u,
            s,
            u32,
            s32,
        };
        loop {
            let next = cur.round()?;
            if next == cur {
                return Some(cur);
            }
            cur = next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{family, members};
    use super::*;
    use crate::word::{all_values, U4};

    #[test]
    fn arc_hulls_wrap() {
        let (u, s) = arc_hulls::<U4>(U4::new(14), 3);
        assert!(u.is_full());
        assert_eq!((s.smin(), s.smax()), (-2, 1));
        let (u, s) = arc_hulls::<U4>(U4::new(6), 3);
        assert_eq!((u.lo(), u.hi()), (U4::new(6), U4::new(9)));
        assert!(s.is_full());
    }

    /// The invariant check (`BPF_F_TEST_REG_INVARIANTS`) holds on built values and fails on a
    /// value whose views disagree (a constant tnum with full ranges), as a broken operator
    /// would leave it.
    #[test]
    fn invariant_check_tells_reduced_from_broken() {
        type S = ScalarOf<u8>;
        assert!(S::constant(3).invariant_holds());
        assert!(S::top().invariant_holds());
        assert!(S::from_urange(2, 9).unwrap().invariant_holds());
        let broken = ScalarOf {
            var_off: Tnum::constant(3u8),
            ..S::top()
        };
        assert!(!broken.invariant_holds());
    }

    /// Reduction preserves γ exactly, is idempotent, detects emptiness and gives exact u/s hulls,
    /// on every combination of a tnum, an unsigned range and sub-register ranges from a grid.
    #[test]
    fn soundness_reduce() {
        type S = ScalarOf<U4>;
        let ts: Vec<Tnum<U4>> = Tnum::all().collect();
        let us: Vec<URange<U4>> = URange::all().collect();
        let ss: Vec<SRange<U4>> = SRange::all().step_by(5).collect();
        let u32s: Vec<_> = URange::all().collect();
        let s32s: Vec<_> = SRange::all().collect();
        let mut n = 0;
        for (i, &t) in ts.iter().enumerate() {
            for (j, &u) in us.iter().enumerate().skip(i % 3).step_by(3) {
                let s = ss[(i + j) % ss.len()];
                let u32 = u32s[(i * 7 + j) % u32s.len()];
                let s32 = s32s[(i + j * 5) % s32s.len()];
                let want: Vec<U4> = all_values::<U4>()
                    .filter(|&x| {
                        t.contains(x)
                            && u.contains(x)
                            && s.contains(x)
                            && u32.contains(x.lo())
                            && s32.contains(x.lo())
                    })
                    .collect();
                let r = S::reduce(t, u, s, u32, s32);
                // The shortcut reduction reaches exactly the fixpoint of the full rounds.
                assert_eq!(
                    r,
                    S::reduce_by_rounds(t, u, s, u32, s32),
                    "{t:?} {u:?} {s:?} {u32:?} {s32:?}"
                );
                if let Some(r) = r {
                    assert_eq!(r.round(), Some(r), "not a fixpoint of the round");
                }
                n += 1;
                match r {
                    None => assert!(
                        want.is_empty(),
                        "{t:?} {u:?} {s:?} {u32:?} {s32:?} wrongly empty"
                    ),
                    Some(r) => {
                        assert_eq!(
                            members(&r),
                            want,
                            "{t:?} {u:?} {s:?} {u32:?} {s32:?} -> {r:?}"
                        );
                        assert_eq!((r.u.lo(), r.u.hi()), (want[0], *want.last().unwrap()));
                        let again = S::reduce(r.var_off, r.u, r.s, r.u32, r.s32);
                        assert_eq!(again, Some(r), "not idempotent");
                    }
                }
            }
        }
        assert!(n > 3000, "{n}");
        // The sweep family is made of reduced values.
        for a in family::<U4>() {
            assert_eq!(S::reduce(a.var_off, a.u, a.s, a.u32, a.s32), Some(a));
        }
    }
}

#[cfg(test)]
mod shortcut_tests {
    use super::super::testkit::{random64, seeds64, slow, Rng};
    use super::*;
    use crate::word::U4;

    /// At 4 bits, every combination of a tnum with every unsigned range, and of every signed range
    /// with every sub-register range pair, against the full-round reduction.
    #[test]
    fn shortcut_equals_rounds_small() {
        type S = ScalarOf<U4>;
        let top = S::top();
        let mut n = 0u64;
        for t in Tnum::<U4>::all() {
            for u in URange::<U4>::all() {
                let want = S::reduce_by_rounds(t, u, top.s, top.u32, top.s32);
                assert_eq!(
                    S::reduce(t, u, top.s, top.u32, top.s32),
                    want,
                    "{t:?} {u:?}"
                );
                n += 1;
            }
        }
        for s in SRange::<U4>::all() {
            for u32 in URange::<crate::word::U2>::all() {
                for s32 in SRange::<crate::word::U2>::all() {
                    for t in [
                        top.var_off,
                        Tnum::unwrap_new(U4::new(0b0100), U4::new(0b1011)),
                    ] {
                        let want = S::reduce_by_rounds(t, top.u, s, u32, s32);
                        assert_eq!(
                            S::reduce(t, top.u, s, u32, s32),
                            want,
                            "{s:?} {u32:?} {s32:?}"
                        );
                        n += 1;
                    }
                }
            }
        }
        assert!(n > 10_000, "{n}");
    }

    /// At 8 and 64 bits, random unreduced views around the boundary seeds.
    #[test]
    fn shortcut_equals_rounds_wide() {
        let mut rng = Rng::new(17);
        let iters = if slow() { 300_000 } else { 20_000 };
        for _ in 0..iters {
            let a = random64(&mut rng, &seeds64());
            let b = random64(&mut rng, &seeds64());
            let c = random64(&mut rng, &seeds64());
            // Views of different scalars, so they disagree and need reducing.
            let args = (
                a.var_off(),
                b.urange(),
                c.srange(),
                a.urange32(),
                b.srange32(),
            );
            let want = ScalarOf::reduce_by_rounds(args.0, args.1, args.2, args.3, args.4);
            assert_eq!(
                ScalarOf::reduce(args.0, args.1, args.2, args.3, args.4),
                want,
                "{args:?}"
            );
        }
        let vals: Vec<u8> = crate::word::all_values::<u8>().collect();
        for _ in 0..iters {
            let pick = |rng: &mut Rng| vals[rng.below(256)];
            let (v, m) = (pick(&mut rng), pick(&mut rng) & pick(&mut rng));
            let t = Tnum::unwrap_new(v & !m, m);
            let (x, y) = (pick(&mut rng), pick(&mut rng));
            let u = URange::new(x.min(y), x.max(y)).unwrap();
            let (x, y) = (pick(&mut rng), pick(&mut rng));
            let s = SRange::new(x.smin_of(y), x.smax_of(y)).unwrap();
            let (x, y) = (pick(&mut rng).lo(), pick(&mut rng).lo());
            let u32 = URange::new(x.min(y), x.max(y)).unwrap();
            let s32 = SRange::full();
            let want = ScalarOf::reduce_by_rounds(t, u, s, u32, s32);
            assert_eq!(
                ScalarOf::reduce(t, u, s, u32, s32),
                want,
                "{t:?} {u:?} {s:?} {u32:?}"
            );
        }
    }
}
