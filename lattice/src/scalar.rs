//! The reduced product `Scalar`: what the kernel tracks for a `SCALAR_VALUE` register.
//!
//! Representation: five views of one unknown word `x`, kernel names in brackets:
//! a [`Tnum`] (`var_off`), an unsigned range (`umin_value..=umax_value`), a signed range
//! (`smin_value..=smax_value`), and unsigned and signed ranges of the low half
//! (`u32_min_value..`, `s32_min_value..`, the 32-bit sub-register).
//!
//! Generic over the full word: [`Scalar`] is `ScalarOf<u64>` (sub-register `u32`), which the analyzer
//! uses; tests instantiate `ScalarOf<U4>` (a 4-bit word with a 2-bit "sub-register") and
//! `ScalarOf<u8>` (4-bit sub-register), where every operator can be checked by exhaustion.
//! The code paths are the same: nothing in this module or its submodules special-cases 64 bits.
//!
//! Invariant (fields private): every value is *reduced* — [`ScalarOf::reduce`] is a no-op on it —
//! and its concretization is non-empty.
//! Bottom is not a value of the type: the operations that can discover infeasibility
//! (`meet`, `reduce`, `refine`, `from_parts`) return `Option`, and `None` is bottom.
//!
//! Concretization: `γ = γ(var_off) ∩ γ(u) ∩ γ(s) ∩ { x | lo(x) ∈ γ(u32) ∩ γ(s32) }`.
//!
//! Order: `a ⊑ b` is decided view by view ([`ScalarOf::le`]), which is sound for γ-inclusion.
//!
//! | operation | precision | note |
//! |---|---|---|
//! | `reduce` | exact on γ, exact full-width hulls | sub-register hulls may be loose across several high halves |
//! | `join` | view-wise optimal, then reduced | `{0} ⊔ {2} = {0, 2}` as a tnum `0b0x0`, so exact here; `{1} ⊔ {2}` holds 0 and 3 |
//! | `meet` | exact (γ of the meet is the intersection) | |
//! | `widen` | view-wise widening with thresholds, then reduced | |
//! | ALU ([`alu`]) | sound, at least the kernel's precision | e.g. `and` ranges are not optimal: `[1,2] & [1,2]` gives `[0,2]` |
//! | refinement ([`refine`]) | sound, at least the kernel's precision | relations between registers are not kept |
//!
//! See `docs/lattice.md` for the precision measured against a model of the kernel.

pub mod alu;
#[cfg(test)]
pub(crate) mod exhaust;
mod parts;
mod reduce;
pub mod refine;
#[cfg(test)]
pub(crate) mod testkit;

use core::fmt;

use crate::srange::SRange;
use crate::tnum::Tnum;
use crate::urange::URange;
use crate::word::{WideWord, Word};

pub use alu::{AluOp, Width};
pub use refine::Cond;

/// The reduced product of a tnum, unsigned and signed ranges and sub-register ranges.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScalarOf<W: WideWord> {
    var_off: Tnum<W>,
    u: URange<W>,
    s: SRange<W>,
    u32: URange<W::Half>,
    s32: SRange<W::Half>,
}

/// The 64-bit scalar the analyzer tracks per register.
pub type Scalar = ScalarOf<u64>;

impl<W: WideWord> ScalarOf<W> {
    /// The singleton `{v}` (kernel `__mark_reg_known`).
    #[inline]
    pub fn constant(v: W) -> Self {
        ScalarOf {
            var_off: Tnum::constant(v),
            u: URange::constant(v),
            s: SRange::constant(v),
            u32: URange::constant(v.lo()),
            s32: SRange::constant(v.lo()),
        }
    }

    /// Every word (kernel `__mark_reg_unknown`).
    #[inline]
    pub fn top() -> Self {
        ScalarOf {
            var_off: Tnum::unknown(),
            u: URange::full(),
            s: SRange::full(),
            u32: URange::full(),
            s32: SRange::full(),
        }
    }

    /// Every word whose bits at and above `bits` are zero (an unknown zero-extended `bits`-bit value).
    pub fn unknown_bits(bits: u32) -> Self {
        if bits >= W::BITS {
            return Self::top();
        }
        Self::from_tnum(Tnum::unwrap_new(W::ZERO, W::low_mask(bits)))
    }

    /// The unsigned interval `[lo, hi]`; `None` if `lo > hi`.
    pub fn from_urange(lo: W, hi: W) -> Option<Self> {
        let t = Self::top();
        Self::reduce(t.var_off, URange::new(lo, hi)?, t.s, t.u32, t.s32)
    }

    /// The signed interval `[lo, hi]` (bit patterns compared signed); `None` if empty.
    pub fn from_srange(lo: W, hi: W) -> Option<Self> {
        let t = Self::top();
        Self::reduce(t.var_off, t.u, SRange::new(lo, hi)?, t.u32, t.s32)
    }

    /// The set described by a tnum.
    pub fn from_tnum(t: Tnum<W>) -> Self {
        let top = Self::top();
        Self::reduce(t, top.u, top.s, top.u32, top.s32).unwrap_or(top)
    }

    /// The intersection of the given views, reduced; `None` if empty.
    pub fn from_parts(
        var_off: Tnum<W>,
        u: URange<W>,
        s: SRange<W>,
        u32: URange<W::Half>,
        s32: SRange<W::Half>,
    ) -> Option<Self> {
        Self::reduce(var_off, u, s, u32, s32)
    }

    /// The bit-level view (`var_off`).
    #[inline]
    pub fn var_off(self) -> Tnum<W> {
        self.var_off
    }
    /// Unsigned range view.
    #[inline]
    pub fn urange(self) -> URange<W> {
        self.u
    }
    /// Signed range view.
    #[inline]
    pub fn srange(self) -> SRange<W> {
        self.s
    }
    /// Unsigned sub-register range view.
    #[inline]
    pub fn urange32(self) -> URange<W::Half> {
        self.u32
    }
    /// Signed sub-register range view.
    #[inline]
    pub fn srange32(self) -> SRange<W::Half> {
        self.s32
    }
    /// `umin_value`.
    #[inline]
    pub fn umin(self) -> W {
        self.u.lo()
    }
    /// `umax_value`.
    #[inline]
    pub fn umax(self) -> W {
        self.u.hi()
    }
    /// `smin_value`.
    #[inline]
    pub fn smin(self) -> W::Signed {
        self.s.smin()
    }
    /// `smax_value`.
    #[inline]
    pub fn smax(self) -> W::Signed {
        self.s.smax()
    }
    /// `u32_min_value`.
    #[inline]
    pub fn u32_min(self) -> W::Half {
        self.u32.lo()
    }
    /// `u32_max_value`.
    #[inline]
    pub fn u32_max(self) -> W::Half {
        self.u32.hi()
    }
    /// `s32_min_value`.
    #[inline]
    pub fn s32_min(self) -> <W::Half as Word>::Signed {
        self.s32.smin()
    }
    /// `s32_max_value`.
    #[inline]
    pub fn s32_max(self) -> <W::Half as Word>::Signed {
        self.s32.smax()
    }

    /// `Some(v)` if the value is known exactly.
    #[inline]
    pub fn is_const(self) -> Option<W> {
        self.u.is_const()
    }

    /// `Some(v)` if the sub-register is known exactly.
    #[inline]
    pub fn is_const32(self) -> Option<W::Half> {
        self.u32.is_const()
    }

    /// Whether the type's invariant holds: the value is reduced (reducing it again changes
    /// nothing) and non-empty. Always true unless an operator has a bug; checked under the
    /// kernel's `BPF_F_TEST_REG_INVARIANTS` load flag, as the kernel checks its own bounds.
    pub fn invariant_holds(self) -> bool {
        Self::reduce(self.var_off, self.u, self.s, self.u32, self.s32) == Some(self)
    }

    /// Whether this is [`ScalarOf::top`].
    #[inline]
    pub fn is_top(self) -> bool {
        self == Self::top()
    }

    /// γ-membership: the test oracle.
    #[inline]
    pub fn contains(self, x: W) -> bool {
        self.var_off.contains(x)
            && self.u.contains(x)
            && self.s.contains(x)
            && self.u32.contains(x.lo())
            && self.s32.contains(x.lo())
    }

    /// Least upper bound of the views, reduced.
    pub fn join(self, other: Self) -> Self {
        Self::reduce(
            self.var_off.join(other.var_off),
            self.u.join(other.u),
            self.s.join(other.s),
            self.u32.join(other.u32),
            self.s32.join(other.s32),
        )
        .unwrap_or_else(|| internal_error(self))
    }

    /// Joins `other` into `self`; returns whether `self` changed (rustc dataflow style).
    pub fn join_in(&mut self, other: Self) -> bool {
        let res = self.join(other);
        let changed = res != *self;
        *self = res;
        changed
    }

    /// Intersection; exact on γ; `None` if empty.
    pub fn meet(self, other: Self) -> Option<Self> {
        Self::reduce(
            self.var_off.meet(other.var_off)?,
            self.u.meet(other.u)?,
            self.s.meet(other.s)?,
            self.u32.meet(other.u32)?,
            self.s32.meet(other.s32)?,
        )
    }

    /// View-wise inclusion: `a.le(b)` implies `γ(a) ⊆ γ(b)`.
    pub fn le(self, other: Self) -> bool {
        self.var_off.le(other.var_off)
            && self.u.le(other.u)
            && self.s.le(other.s)
            && self.u32.le(other.u32)
            && self.s32.le(other.s32)
    }

    /// Widening for loop heads: each view widens (ranges jump to the type-boundary thresholds), then
    /// the result is reduced.
    ///
    /// Contract: `self ⊔ newer ⊑ self.widen(newer)`, and any chain `x_{i+1} = x_i.widen(y_i)`
    /// stabilizes: each range bound moves only to one of a few thresholds or to a bound implied by a
    /// view that itself changed, and the tnum can lose at most `BITS` known bits.
    pub fn widen(self, newer: Self) -> Self {
        Self::reduce(
            self.var_off.widen(newer.var_off),
            self.u.widen(newer.u),
            self.s.widen(newer.s),
            self.u32.widen(newer.u32),
            self.s32.widen(newer.s32),
        )
        .unwrap_or_else(|| internal_error(self))
    }

    /// The number of concrete members (test and report helper; exact).
    pub fn count(self) -> u128 {
        if W::BITS <= 16 {
            return self.var_off.members().filter(|&x| self.contains(x)).count() as u128;
        }
        // At 64 bits only an upper bound is cheap.
        self.var_off.count().min(self.u.count()).min(self.s.count())
    }
}

/// Degrades gracefully if an internal invariant is broken: asserts in debug builds, returns the
/// sound top value in release builds.
#[cold]
pub(crate) fn internal_error<W: WideWord>(context: ScalarOf<W>) -> ScalarOf<W> {
    debug_assert!(false, "lattice internal error near {context:?}");
    ScalarOf::top()
}

impl<W: WideWord> fmt::Debug for ScalarOf<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "ScalarOf {{ var_off: {:?}, u: {:?}, s: {:?}, u32: {:?}, s32: {:?} }}",
            self.var_off, self.u, self.s, self.u32, self.s32
        )
    }
}

/// Kernel-like rendering: a constant prints as its signed value (`42`, `-1`); otherwise
/// `scalar(...)` lists the views that are not implied by the full range of their type,
/// e.g. `scalar(umax=255,var_off=(0x0; 0xff))`.
impl<W: WideWord> fmt::Display for ScalarOf<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(v) = self.is_const() {
            return write!(f, "{}", v.to_signed());
        }
        let mut parts: [Option<(&str, String)>; 9] = Default::default();
        let top = Self::top();
        if self.s.lo() != top.s.lo() {
            parts[0] = Some(("smin", self.smin().to_string()));
        }
        if self.s.hi() != top.s.hi() {
            parts[1] = Some(("smax", self.smax().to_string()));
        }
        if self.u.lo() != W::ZERO {
            parts[2] = Some(("umin", self.umin().to_string()));
        }
        if self.u.hi() != W::MAX {
            parts[3] = Some(("umax", self.umax().to_string()));
        }
        // Sub-register bounds are shown only when the full-width bounds do not already imply them.
        let implied = Self::reduce(self.var_off, self.u, self.s, URange::full(), SRange::full());
        let (iu32, is32) = implied.map_or((top.u32, top.s32), |it| (it.u32, it.s32));
        if self.s32.lo() != is32.lo() {
            parts[4] = Some(("smin32", self.s32_min().to_string()));
        }
        if self.s32.hi() != is32.hi() {
            parts[5] = Some(("smax32", self.s32_max().to_string()));
        }
        if self.u32.lo() != iu32.lo() {
            parts[6] = Some(("umin32", self.u32_min().to_string()));
        }
        if self.u32.hi() != iu32.hi() {
            parts[7] = Some(("umax32", self.u32_max().to_string()));
        }
        if !self.var_off.is_unknown() {
            parts[8] = Some(("var_off", format!("{:?}", self.var_off)));
        }
        f.write_str("scalar(")?;
        let mut first = true;
        for (k, v) in parts.iter().flatten() {
            if !first {
                f.write_str(",")?;
            }
            first = false;
            write!(f, "{k}={v}")?;
        }
        f.write_str(")")
    }
}

#[cfg(test)]
mod tests {
    use super::testkit::{family, members, Rng};
    use super::*;
    use crate::word::U4;

    #[test]
    fn display_kernel_like() {
        assert_eq!(Scalar::constant(42).to_string(), "42");
        assert_eq!(Scalar::constant(u64::MAX).to_string(), "-1");
        assert_eq!(Scalar::top().to_string(), "scalar()");
        let byte = Scalar::unknown_bits(8);
        assert_eq!(
            byte.to_string(),
            "scalar(smin=0,smax=255,umax=255,var_off=(0x0; 0xff))"
        );
        let r = Scalar::from_urange(0x1_0000_0000, 0x1_0000_0010).unwrap();
        assert!(r.to_string().contains("umin=4294967296"), "{r}");
    }

    #[test]
    fn laws_scalar() {
        let fam = family::<U4>();
        let mut rng = Rng::new(7);
        for _ in 0..6_000 {
            let a = fam[rng.below(fam.len())];
            let b = fam[rng.below(fam.len())];
            let j = a.join(b);
            assert_eq!(j, b.join(a));
            assert!(a.le(j) && b.le(j), "{a:?} {b:?} {j:?}");
            assert_eq!(a.join(a), a);
            let w = a.widen(b);
            assert!(a.le(w) || members(&a).iter().all(|&x| w.contains(x)));
            assert!(members(&b).iter().all(|&x| w.contains(x)));
            let m = a.meet(b);
            let both: Vec<U4> = members(&a).into_iter().filter(|&x| b.contains(x)).collect();
            assert_eq!(
                m.map(|m| members(&m)).unwrap_or_default(),
                both,
                "{a:?} meet {b:?}"
            );
            if a.le(b) {
                assert!(members(&a).iter().all(|&x| b.contains(x)));
            }
        }
    }

    #[test]
    fn widen_chains_terminate_64() {
        let mut rng = Rng::new(99);
        for _ in 0..40 {
            let mut cur = Scalar::constant(rng.next_u64() & 0xff);
            let mut changes = 0;
            for _ in 0..400 {
                let step = Scalar::constant(rng.next_u64() >> rng.below(64));
                let next = cur.widen(cur.join(step));
                if next != cur {
                    changes += 1;
                }
                cur = next;
            }
            assert!(changes < 200, "{changes} changes, ended at {cur}");
        }
    }

    #[test]
    fn constructors_64() {
        let r = Scalar::from_urange(10, 20).unwrap();
        assert_eq!((r.umin(), r.umax(), r.smin(), r.smax()), (10, 20, 10, 20));
        assert_eq!((r.u32_min(), r.u32_max()), (10, 20));
        assert!(Scalar::from_urange(3, 2).is_none());
        let s = Scalar::from_srange(-1i64 as u64, 1).unwrap();
        assert_eq!((s.s32_min(), s.s32_max()), (-1, 1));
        assert_eq!((s.umin(), s.umax()), (0, u64::MAX));
        assert!(s.contains(u64::MAX) && s.contains(1) && !s.contains(2));
        assert_eq!(Scalar::constant(7).is_const(), Some(7));
        assert!(Scalar::top().is_top());
    }
}
