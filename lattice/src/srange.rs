//! Signed intervals (`SRange`): the kernel's `smin_value..=smax_value` and `s32_min/max_value`.
//!
//! Representation: `lo` and `hi` stored as bit patterns of the word type and compared in the
//! two's-complement signed order (`x <s y` iff `x ^ SIGN < y ^ SIGN`), so the same generic code
//! serves every width; [`SRange::smin`] and [`SRange::smax`] give the native signed values.
//! Invariant (held by the type, fields private): `lo <=s hi`.
//!
//! Concretization: `γ([lo, hi]) = { x | lo <=s x <=s hi }`.
//! Seen unsigned, a signed interval that crosses zero is two pieces: `[lo, MAX] ∪ [0, hi]`.
//!
//! Order: inclusion; the top is `[S_MIN, S_MAX]`.
//!
//! | operation | precision | note |
//! |---|---|---|
//! | `join` | optimal (convex hull) | `[-8, -7] ⊔ [6, 7]` = `[-8, 7]` is everything at 4 bits |
//! | `meet`, `le`, `contains` | exact | |
//! | `widen` | over-approximating, terminating | thresholds `S8/S16/S32` min and max, `-1`, `0`, `S64` min and max |

use core::fmt;

use crate::word::Word;

/// A non-empty signed interval.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SRange<W: Word> {
    lo: W,
    hi: W,
}

impl<W: Word> SRange<W> {
    /// `[lo, hi]` in the signed order (bit patterns), or `None` if `lo >s hi`.
    #[inline]
    pub fn new(lo: W, hi: W) -> Option<Self> {
        lo.sle(hi).then_some(SRange { lo, hi })
    }

    /// `[smin, smax]` from native signed values.
    #[inline]
    pub fn from_signed(lo: W::Signed, hi: W::Signed) -> Option<Self> {
        Self::new(W::from_signed(lo), W::from_signed(hi))
    }

    /// `[S_MIN, S_MAX]`.
    #[inline]
    pub fn full() -> Self {
        SRange {
            lo: W::SIGN,
            hi: W::signed_max(),
        }
    }

    /// `[v, v]`.
    #[inline]
    pub fn constant(v: W) -> Self {
        SRange { lo: v, hi: v }
    }

    /// Lower bound as a bit pattern.
    #[inline]
    pub fn lo(self) -> W {
        self.lo
    }

    /// Upper bound as a bit pattern.
    #[inline]
    pub fn hi(self) -> W {
        self.hi
    }

    /// Lower bound as a signed number.
    #[inline]
    pub fn smin(self) -> W::Signed {
        self.lo.to_signed()
    }

    /// Upper bound as a signed number.
    #[inline]
    pub fn smax(self) -> W::Signed {
        self.hi.to_signed()
    }

    /// `Some(v)` for a singleton.
    #[inline]
    pub fn is_const(self) -> Option<W> {
        (self.lo == self.hi).then_some(self.lo)
    }

    /// Whether this is the full range.
    #[inline]
    pub fn is_full(self) -> bool {
        self == Self::full()
    }

    /// γ-membership.
    #[inline]
    pub fn contains(self, x: W) -> bool {
        self.lo.sle(x) && x.sle(self.hi)
    }

    /// Number of members.
    #[inline]
    pub fn count(self) -> u128 {
        (self.hi.to_i128() - self.lo.to_i128() + 1) as u128
    }

    /// Convex hull in the signed order; optimal.
    #[inline]
    pub fn join(self, other: Self) -> Self {
        SRange {
            lo: self.lo.smin_of(other.lo),
            hi: self.hi.smax_of(other.hi),
        }
    }

    /// Intersection, exact; `None` if disjoint.
    #[inline]
    pub fn meet(self, other: Self) -> Option<Self> {
        Self::new(self.lo.smax_of(other.lo), self.hi.smin_of(other.hi))
    }

    /// `γ(self) ⊆ γ(other)`.
    #[inline]
    pub fn le(self, other: Self) -> bool {
        other.lo.sle(self.lo) && self.hi.sle(other.hi)
    }

    /// Widening with thresholds at the signed type boundaries.
    pub fn widen(self, newer: Self) -> Self {
        let lo = if newer.lo.slt(self.lo) {
            Self::thresholds()
                .rev()
                .find(|&t| t.sle(newer.lo))
                .unwrap_or(W::SIGN)
        } else {
            self.lo
        };
        let hi = if self.hi.slt(newer.hi) {
            Self::thresholds()
                .find(|&t| newer.hi.sle(t))
                .unwrap_or(W::signed_max())
        } else {
            self.hi
        };
        SRange { lo, hi }
    }

    /// Thresholds in increasing signed order.
    fn thresholds() -> impl DoubleEndedIterator<Item = W> {
        let mut ts = [W::ZERO; 10];
        let mut n = 0;
        ts[n] = W::SIGN;
        n += 1;
        for k in [32u32, 16, 8] {
            if k < W::BITS {
                ts[n] = W::from_i128(-(1i128 << (k - 1)));
                n += 1;
            }
        }
        ts[n] = W::MAX; // -1
        ts[n + 1] = W::ZERO;
        n += 2;
        for k in [8u32, 16, 32] {
            if k < W::BITS {
                ts[n] = W::from_i128((1i128 << (k - 1)) - 1);
                n += 1;
            }
        }
        ts[n] = W::signed_max();
        n += 1;
        ts.into_iter().take(n)
    }

    /// Every signed interval of this width (test helper).
    pub fn all() -> impl Iterator<Item = Self> {
        crate::word::all_values::<W>().flat_map(|lo| {
            crate::word::all_values::<W>()
                .filter(move |&hi| lo.sle(hi))
                .map(move |hi| SRange { lo, hi })
        })
    }
}

impl<W: Word> fmt::Debug for SRange<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}, {}]", self.smin(), self.smax())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::word::{all_values, U4};

    #[test]
    fn laws_srange() {
        let all: Vec<SRange<U4>> = SRange::all().collect();
        assert_eq!(all.len(), 136);
        for &a in &all {
            assert_eq!(a.join(a), a);
            assert_eq!(
                a.count() as usize,
                all_values::<U4>().filter(|&x| a.contains(x)).count()
            );
            for &b in &all {
                let j = a.join(b);
                assert_eq!(j, b.join(a));
                assert!(a.le(j) && b.le(j));
                let w = a.widen(b);
                assert!(a.le(w) && b.le(w));
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
    fn widen_thresholds_64() {
        let a = SRange::<u64>::from_signed(0, 10).unwrap();
        let w = a.widen(SRange::from_signed(-3, 300).unwrap());
        assert_eq!((w.smin(), w.smax()), (-128, i64::from(i16::MAX)));
        let w = w.widen(SRange::from_signed(-200, 5).unwrap());
        assert_eq!(w.smin(), i64::from(i16::MIN));
    }
}
