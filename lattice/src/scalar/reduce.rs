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
//! Rounds repeat until nothing changes; the result is then a fixpoint, so `reduce` is idempotent.
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

/// Exact unsigned `[min, max]` of `{ x ∈ t ∩ u ∩ s | lo(x) ∈ low }`.
fn extremes<W: WideWord>(
    t: Tnum<W>,
    u: URange<W>,
    s: SRange<W>,
    low: &HalfSet<W::Half>,
) -> Option<(W, W)> {
    let (l_min, l_max) = (low.min()?, low.max()?);
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

impl<W: WideWord> ScalarOf<W> {
    /// Reduces the five views to a common fixpoint; `None` if they contradict (empty `γ`).
    pub fn reduce(
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
        // Each round only shrinks the views; a handful of rounds always suffices in practice.
        for _ in 0..64 {
            let next = cur.round()?;
            if next == cur {
                return Some(cur);
            }
            cur = next;
        }
        debug_assert!(false, "reduce did not converge: {cur:?}");
        Some(cur)
    }

    fn round(self) -> Option<Self> {
        let ScalarOf {
            var_off: t,
            u,
            s,
            mut u32,
            mut s32,
        } = self;
        let hb = W::Half::BITS;
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
        // Exact hulls of the low-half set.
        let t_lo = t
            .lo()
            .meet(Tnum::range(u32.lo(), u32.hi()))?
            .meet(tnum_srange(s32))?;
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
        // Recompute the low set with the tightened views (keeps the full-width search exact).
        let low = HalfSet::new(t_lo, u32, s32);
        let t = with_lo(t, t_lo);
        // Exact full-width extremes, unsigned then signed (through the sign flip).
        let (umin, umax) = extremes(t, u, s, &low)?;
        let su = URange::new(s.lo() ^ W::SIGN, s.hi() ^ W::SIGN)?;
        let us = SRange::new(u.lo() ^ W::SIGN, u.hi() ^ W::SIGN).unwrap_or_else(SRange::full);
        let (smin, smax) = extremes(t.flip_sign(), su, us, &low)?;
        let u = URange::new(umin, umax)?;
        let s = SRange::new(smin ^ W::SIGN, smax ^ W::SIGN)?;
        // Ranges -> tnum.
        let t = t.meet(Tnum::range(umin, umax))?.meet(tnum_srange(s))?;
        Some(ScalarOf {
            var_off: t,
            u,
            s,
            u32,
            s32,
        })
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
        assert!(n > 3000);
        // The sweep family is made of reduced values.
        for a in family::<U4>() {
            assert_eq!(S::reduce(a.var_off, a.u, a.s, a.u32, a.s32), Some(a));
        }
    }
}
