//! Unsigned intervals (`URange`): the kernel's `umin_value..=umax_value` and `u32_min/max_value`.
//!
//! Representation: `lo` and `hi`, words compared unsigned.
//! Invariant (held by the type, fields private): `lo <= hi`; an empty interval is not representable,
//! so operations that may find a contradiction return `Option`.
//!
//! Concretization: `γ([lo, hi]) = { x | lo <= x <= hi }` in the unsigned order.
//!
//! Order: `[a, b] ⊑ [c, d]` iff `c <= a` and `b <= d`; the top is `[0, MAX]`.
//!
//! | operation | precision | note |
//! |---|---|---|
//! | `join` | optimal (convex hull) | `[0, 1] ⊔ [8, 9] = [0, 9]` adds 2..=7 |
//! | `meet`, `le`, `contains` | exact | |
//! | `widen` | over-approximating, terminating | a growing bound jumps to the next threshold |
//!
//! Widening thresholds are the type boundaries a BPF value meets in practice: for an upper bound
//! `U8_MAX`, `U16_MAX`, `U32_MAX`, `S64_MAX` and `U64_MAX` (those that fit the width), for a lower
//! bound `S64_MIN` as unsigned (`1 << 63`) and `0`.
//! Each bound can move at most once per threshold, so every widening chain is finite.
//!
//! The arithmetic transfer functions live on the reduced product ([`crate::scalar`]), which needs the
//! other views to be precise; this module holds only the lattice structure.

use core::fmt;

use crate::word::Word;

/// A non-empty unsigned interval `[lo, hi]`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct URange<W: Word> {
    lo: W,
    hi: W,
}

impl<W: Word> URange<W> {
    /// `[lo, hi]`, or `None` if `lo > hi`.
    #[inline]
    pub fn new(lo: W, hi: W) -> Option<Self> {
        (lo <= hi).then_some(URange { lo, hi })
    }

    /// `[0, MAX]`.
    #[inline]
    pub fn full() -> Self {
        URange {
            lo: W::ZERO,
            hi: W::MAX,
        }
    }

    /// `[v, v]`.
    #[inline]
    pub fn constant(v: W) -> Self {
        URange { lo: v, hi: v }
    }

    /// Lower bound.
    #[inline]
    pub fn lo(self) -> W {
        self.lo
    }

    /// Upper bound.
    #[inline]
    pub fn hi(self) -> W {
        self.hi
    }

    /// `Some(v)` for a singleton.
    #[inline]
    pub fn is_const(self) -> Option<W> {
        (self.lo == self.hi).then_some(self.lo)
    }

    /// Whether this is `[0, MAX]`.
    #[inline]
    pub fn is_full(self) -> bool {
        self.lo == W::ZERO && self.hi == W::MAX
    }

    /// γ-membership.
    #[inline]
    pub fn contains(self, x: W) -> bool {
        self.lo <= x && x <= self.hi
    }

    /// Number of members.
    #[inline]
    pub fn count(self) -> u128 {
        self.hi.to_u128() - self.lo.to_u128() + 1
    }

    /// Convex hull; optimal.
    #[inline]
    pub fn join(self, other: Self) -> Self {
        URange {
            lo: self.lo.min(other.lo),
            hi: self.hi.max(other.hi),
        }
    }

    /// Intersection, exact; `None` if disjoint.
    #[inline]
    pub fn meet(self, other: Self) -> Option<Self> {
        Self::new(self.lo.max(other.lo), self.hi.min(other.hi))
    }

    /// `γ(self) ⊆ γ(other)`.
    #[inline]
    pub fn le(self, other: Self) -> bool {
        other.lo <= self.lo && self.hi <= other.hi
    }

    /// Widening with thresholds: a bound that grows jumps to the next type boundary.
    pub fn widen(self, newer: Self) -> Self {
        let lo = if newer.lo < self.lo {
            if newer.lo >= W::SIGN {
                W::SIGN
            } else {
                W::ZERO
            }
        } else {
            self.lo
        };
        let hi = if newer.hi > self.hi {
            Self::thresholds_up()
                .find(|&t| t >= newer.hi)
                .unwrap_or(W::MAX)
        } else {
            self.hi
        };
        URange { lo, hi }
    }

    fn thresholds_up() -> impl Iterator<Item = W> {
        [8u32, 16, 32]
            .into_iter()
            .filter(|&k| k < W::BITS)
            .map(W::low_mask)
            .chain([W::signed_max(), W::MAX])
    }

    /// Every interval of this width (test helper, `2^(BITS-1) * (2^BITS + 1)` of them).
    pub fn all() -> impl Iterator<Item = Self> {
        crate::word::all_values::<W>().flat_map(|lo| {
            crate::word::all_values::<W>()
                .filter(move |&hi| hi >= lo)
                .map(move |hi| URange { lo, hi })
        })
    }
}

impl<W: Word> fmt::Debug for URange<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.lo, self.hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::word::{all_values, U4};

    #[test]
    fn laws_urange() {
        let all: Vec<URange<U4>> = URange::all().collect();
        assert_eq!(all.len(), 136);
        for &a in &all {
            assert_eq!(a.join(a), a);
            for &b in &all {
                let j = a.join(b);
                assert_eq!(j, b.join(a));
                assert!(a.le(j) && b.le(j));
                let incl = all_values::<U4>()
                    .filter(|&x| a.contains(x))
                    .all(|x| b.contains(x));
                assert_eq!(a.le(b), incl);
                for x in all_values::<U4>() {
                    assert_eq!(
                        a.meet(b).is_some_and(|m| m.contains(x)),
                        a.contains(x) && b.contains(x)
                    );
                }
            }
        }
    }

    #[test]
    fn widen_is_upper_bound_and_terminates() {
        let all: Vec<URange<u8>> = URange::all().collect();
        for (i, &a) in all.iter().enumerate().step_by(41) {
            for &b in all.iter().skip(i % 13).step_by(43) {
                let w = a.widen(b);
                assert!(a.le(w) && b.le(w), "{a:?} widen {b:?} = {w:?}");
            }
        }
        // An ever-growing sequence stabilizes after a handful of steps.
        let mut cur = URange::<u64>::constant(0);
        let mut changes = 0;
        for i in 1..10_000u64 {
            let next = cur.widen(URange::new(0, i).unwrap());
            if next != cur {
                changes += 1;
            }
            cur = next;
        }
        assert!(changes <= 6, "{changes}");
        assert_eq!(cur.hi(), 0xffff);
    }
}
