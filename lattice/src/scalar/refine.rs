//! Branch refinement: what a conditional jump teaches about its two operands.
//!
//! [`ScalarOf::refine`] takes both operands and an outcome and returns the refined pair, or `None`
//! when that outcome is impossible (the edge is dead).
//! Contract: for every concrete pair `(x, y)` with `x ∈ γ(a)`, `y ∈ γ(b)` that satisfies the
//! outcome, `x ∈ γ(a')` and `y ∈ γ(b')`. Relations between the two registers are not kept.
//! [`ScalarOf::branch_taken`] answers whether the outcome is known.
//!
//! The not-taken edge refines with the negated condition (`Gt` becomes `Le`, `Set` becomes
//! "no common bit"); `Lt`, `Le` and their signed forms swap the operands to become `Gt`, `Ge`.
//! 32-bit conditions refine the sub-register views only; the reduction carries the facts into the
//! full-width views.
//!
//! | condition | refinement | compared with the kernel (`regs_refine_cond_op`) |
//! |---|---|---|
//! | `Eq` | meet of both operands (exact) | same |
//! | `Ne` | a constant operand is cut off the other's range edges | same |
//! | `Gt`, `Ge`, `SGt`, `SGe` (and mirrors) | bounds cross over | same |
//! | `Set` taken | no common possible bit is dead; a single candidate bit becomes known; `x >= lowest bit` | kernel needs a power-of-two constant |
//! | `Set` not taken | bits known 1 in one operand are known 0 in the other | kernel needs a constant |
//!
//! Every result is reduced, and the reduction detects an empty concretization exactly, so any
//! dead edge the kernel's `is_branch_taken` finds is found here too.

use crate::srange::SRange;
use crate::tnum::Tnum;
use crate::urange::URange;
use crate::word::{WideWord, Word};

use super::alu::Width;
use super::parts::Parts;
use super::ScalarOf;

/// A jump condition `a <cond> b`.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Cond {
    /// `a == b`.
    Eq,
    /// `a != b`.
    Ne,
    /// Unsigned `a > b`.
    Gt,
    /// Unsigned `a >= b`.
    Ge,
    /// Unsigned `a < b`.
    Lt,
    /// Unsigned `a <= b`.
    Le,
    /// Signed `a > b`.
    SGt,
    /// Signed `a >= b`.
    SGe,
    /// Signed `a < b`.
    SLt,
    /// Signed `a <= b`.
    SLe,
    /// `a & b != 0`.
    Set,
}

/// The internal condition set is closed under negation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Rel {
    Eq,
    Ne,
    Gt,
    Ge,
    SGt,
    SGe,
    Set,
    NoneSet,
}

impl Cond {
    /// Every condition, for sweeps and reports.
    pub const ALL: [Cond; 11] = [
        Cond::Eq,
        Cond::Ne,
        Cond::Gt,
        Cond::Ge,
        Cond::Lt,
        Cond::Le,
        Cond::SGt,
        Cond::SGe,
        Cond::SLt,
        Cond::SLe,
        Cond::Set,
    ];

    /// The negated condition, if it is one of the BPF conditions (`Set` has none).
    pub fn negate(self) -> Option<Cond> {
        Some(match self {
            Cond::Eq => Cond::Ne,
            Cond::Ne => Cond::Eq,
            Cond::Gt => Cond::Le,
            Cond::Ge => Cond::Lt,
            Cond::Lt => Cond::Ge,
            Cond::Le => Cond::Gt,
            Cond::SGt => Cond::SLe,
            Cond::SGe => Cond::SLt,
            Cond::SLt => Cond::SGe,
            Cond::SLe => Cond::SGt,
            Cond::Set => return None,
        })
    }

    /// The concrete comparison on a `V`-bit word.
    pub fn eval<V: Word>(self, x: V, y: V) -> bool {
        match self {
            Cond::Eq => x == y,
            Cond::Ne => x != y,
            Cond::Gt => x > y,
            Cond::Ge => x >= y,
            Cond::Lt => x < y,
            Cond::Le => x <= y,
            Cond::SGt => y.slt(x),
            Cond::SGe => y.sle(x),
            Cond::SLt => x.slt(y),
            Cond::SLe => x.sle(y),
            Cond::Set => x & y != V::ZERO,
        }
    }

    /// The relation on the outcome, with `swapped` when the operands must be exchanged.
    fn rel(self, taken: bool) -> (Rel, bool) {
        let c = if taken {
            self
        } else {
            self.negate().unwrap_or(self)
        };
        if self == Cond::Set && !taken {
            return (Rel::NoneSet, false);
        }
        match c {
            Cond::Eq => (Rel::Eq, false),
            Cond::Ne => (Rel::Ne, false),
            Cond::Gt => (Rel::Gt, false),
            Cond::Ge => (Rel::Ge, false),
            Cond::Lt => (Rel::Gt, true),
            Cond::Le => (Rel::Ge, true),
            Cond::SGt => (Rel::SGt, false),
            Cond::SGe => (Rel::SGe, false),
            Cond::SLt => (Rel::SGt, true),
            Cond::SLe => (Rel::SGe, true),
            Cond::Set => (Rel::Set, false),
        }
    }
}

/// Refines one width's views of `a` and `b` for `a <rel> b`; `None` if impossible.
fn refine_parts<V: Word>(
    rel: Rel,
    mut a: Parts<V>,
    mut b: Parts<V>,
) -> Option<(Parts<V>, Parts<V>)> {
    match rel {
        Rel::Eq => {
            let m = Parts {
                t: a.t.meet(b.t)?,
                u: a.u.meet(b.u)?,
                s: a.s.meet(b.s)?,
            };
            return Some((m, m));
        }
        Rel::Ne => {
            if let Some(c) = b.u.is_const() {
                a = cut_edges(a, c)?;
            }
            if let Some(c) = a.u.is_const() {
                b = cut_edges(b, c)?;
            }
        }
        Rel::Gt => {
            if b.u.lo() == V::MAX || a.u.hi() == V::ZERO {
                return None;
            }
            a.u = URange::new(a.u.lo().max(b.u.lo().wrapping_add(V::ONE)), a.u.hi())?;
            b.u = URange::new(b.u.lo(), b.u.hi().min(a.u.hi().wrapping_sub(V::ONE)))?;
        }
        Rel::Ge => {
            a.u = URange::new(a.u.lo().max(b.u.lo()), a.u.hi())?;
            b.u = URange::new(b.u.lo(), b.u.hi().min(a.u.hi()))?;
        }
        Rel::SGt => {
            if b.s.lo() == V::signed_max() || a.s.hi() == V::SIGN {
                return None;
            }
            a.s = SRange::new(a.s.lo().smax_of(b.s.lo().wrapping_add(V::ONE)), a.s.hi())?;
            b.s = SRange::new(b.s.lo(), b.s.hi().smin_of(a.s.hi().wrapping_sub(V::ONE)))?;
        }
        Rel::SGe => {
            a.s = SRange::new(a.s.lo().smax_of(b.s.lo()), a.s.hi())?;
            b.s = SRange::new(b.s.lo(), b.s.hi().smin_of(a.s.hi()))?;
        }
        Rel::Set => {
            if a.t.umax() & b.t.umax() == V::ZERO {
                return None;
            }
            a = set_from(a, b.t)?;
            b = set_from(b, a.t)?;
        }
        Rel::NoneSet => {
            if a.t.value() & b.t.value() != V::ZERO {
                return None;
            }
            // Bits known 1 in one operand are known 0 in the other.
            a.t = a.t.and(Tnum::constant(!b.t.value()));
            b.t = b.t.and(Tnum::constant(!a.t.value()));
        }
    }
    Some((a, b))
}

/// Removes the constant `c` from the edges of the ranges of `p`.
fn cut_edges<V: Word>(mut p: Parts<V>, c: V) -> Option<Parts<V>> {
    if p.u.lo() == c {
        p.u = URange::new(c.wrapping_add(V::ONE), p.u.hi()).filter(|_| c != V::MAX)?;
    }
    if p.u.hi() == c {
        p.u = URange::new(p.u.lo(), c.wrapping_sub(V::ONE)).filter(|_| c != V::ZERO)?;
    }
    if p.s.lo() == c {
        p.s = SRange::new(c.wrapping_add(V::ONE), p.s.hi()).filter(|_| c != V::signed_max())?;
    }
    if p.s.hi() == c {
        p.s = SRange::new(p.s.lo(), c.wrapping_sub(V::ONE)).filter(|_| c != V::SIGN)?;
    }
    Some(p)
}

/// `p & other != 0` for some member of `other`: `p` shares a possible-1 bit with `other`.
fn set_from<V: Word>(mut p: Parts<V>, other: Tnum<V>) -> Option<Parts<V>> {
    let cand = other.umax() & p.t.umax();
    if cand == V::ZERO {
        return None;
    }
    // If no bit is already known to be shared and exactly one bit could be, that bit is 1.
    if other.value() & p.t.value() == V::ZERO
        && cand.count_ones() == 1
        && other.value() & cand == cand
    {
        p.t = p.t.or(Tnum::constant(cand));
    }
    // A word sharing a bit of `cand` is at least the lowest bit of `cand`.
    let low = V::ONE.shl(cand.trailing_zeros());
    p.u = URange::new(p.u.lo().max(low), p.u.hi())?;
    Some(p)
}

impl<W: WideWord> ScalarOf<W> {
    /// The operands refined by the outcome `taken` of `a <cond> b`; `None` if the outcome is
    /// impossible. For immediates pass a constant (sign-extended by the caller for 64-bit compares).
    pub fn refine(cond: Cond, width: Width, a: Self, b: Self, taken: bool) -> Option<(Self, Self)> {
        let (rel, swapped) = cond.rel(taken);
        let (a, b) = if swapped { (b, a) } else { (a, b) };
        let (ra, rb) = match width {
            // Equality of full registers: both become the exact meet, sub-register views included.
            Width::W64 if rel == Rel::Eq => {
                let m = a.meet(b)?;
                (m, m)
            }
            Width::W64 => {
                let (pa, pb) = refine_parts(rel, a.full(), b.full())?;
                (
                    Self::reduce(pa.t, pa.u, pa.s, a.u32, a.s32)?,
                    Self::reduce(pb.t, pb.u, pb.s, b.u32, b.s32)?,
                )
            }
            Width::W32 => {
                let (pa, pb) = refine_parts(rel, a.half(), b.half())?;
                let ta = Tnum::from_halves(a.var_off.hi(), pa.t);
                let tb = Tnum::from_halves(b.var_off.hi(), pb.t);
                (
                    Self::reduce(ta, a.u, a.s, pa.u, pa.s)?,
                    Self::reduce(tb, b.u, b.s, pb.u, pb.s)?,
                )
            }
        };
        Some(if swapped { (rb, ra) } else { (ra, rb) })
    }

    /// `Some(outcome)` if `a <cond> b` has the same outcome for every pair of members that the
    /// refinement can tell apart; `None` if both outcomes remain possible.
    pub fn branch_taken(cond: Cond, width: Width, a: Self, b: Self) -> Option<bool> {
        match (
            Self::refine(cond, width, a, b, true),
            Self::refine(cond, width, a, b, false),
        ) {
            (None, Some(_)) => Some(false),
            (Some(_), None) => Some(true),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::exhaust::{self, holds};
    use super::super::testkit::{budget, family, members, pairs, random64, seeds64, slow, Rng};
    use super::*;
    use crate::word::U4;

    /// Sampled pairs (for the 8-bit family, where every pair is too many).
    fn sweep<W: WideWord>(cond: Cond) {
        let fam = family::<W>();
        for width in [Width::W64, Width::W32] {
            for (a, b) in pairs(&fam, budget::<W>(), cond as u64 + 11) {
                for taken in [true, false] {
                    let r = ScalarOf::refine(cond, width, a, b, taken);
                    for x in members(&a) {
                        for y in members(&b) {
                            if holds(cond, width, x, y) == taken {
                                let (ra, rb) = r.unwrap_or_else(|| {
                                    panic!("{cond:?}/{width:?}/{taken}: {a} {b} lost {x} {y}")
                                });
                                assert!(
                                    ra.contains(x) && rb.contains(y),
                                    "{cond:?}/{width:?}/{taken}: {a} {b} -> {ra} {rb} lost {x} {y}"
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    fn check(cond: Cond) {
        // Exhaustive at 4 bits: every pair of the sweep family, both outcomes, every member pair.
        let fam = exhaust::sweep_family::<U4>();
        for width in [Width::W64, Width::W32] {
            let name = format!("{cond:?}/{width:?}");
            let swept = exhaust::refine::<U4>(&name, &fam, cond, width);
            assert_eq!(swept.cases, 2 * (fam.len() * fam.len()) as u64);
            println!(
                "{name}: {} cases, {} member pairs",
                swept.cases, swept.members
            );
        }
        if slow() {
            sweep::<u8>(cond);
        }
        let mut rng = Rng::new(cond as u64);
        let seeds = seeds64();
        for _ in 0..if slow() { 100_000 } else { 500 } {
            let (a, b) = (random64(&mut rng, &seeds), random64(&mut rng, &seeds));
            for width in [Width::W64, Width::W32] {
                for _ in 0..4 {
                    let x = super::super::testkit::member64(&mut rng, &a);
                    let y = super::super::testkit::member64(&mut rng, &b);
                    let taken = holds(cond, width, x, y);
                    let (ra, rb) =
                        ScalarOf::refine(cond, width, a, b, taken).expect("feasible edge lost");
                    assert!(
                        ra.contains(x) && rb.contains(y),
                        "{cond:?} {a} {b} {x:#x} {y:#x}"
                    );
                }
            }
        }
    }

    #[test]
    fn soundness_refine_eq() {
        check(Cond::Eq);
    }
    #[test]
    fn soundness_refine_ne() {
        check(Cond::Ne);
    }
    #[test]
    fn soundness_refine_gt() {
        check(Cond::Gt);
    }
    #[test]
    fn soundness_refine_ge() {
        check(Cond::Ge);
    }
    #[test]
    fn soundness_refine_lt() {
        check(Cond::Lt);
    }
    #[test]
    fn soundness_refine_le() {
        check(Cond::Le);
    }
    #[test]
    fn soundness_refine_sgt() {
        check(Cond::SGt);
    }
    #[test]
    fn soundness_refine_sge() {
        check(Cond::SGe);
    }
    #[test]
    fn soundness_refine_slt() {
        check(Cond::SLt);
    }
    #[test]
    fn soundness_refine_sle() {
        check(Cond::SLe);
    }
    #[test]
    fn soundness_refine_set() {
        check(Cond::Set);
    }

    #[test]
    fn branch_taken_examples_64() {
        type S = ScalarOf<u64>;
        let r = S::from_urange(0, 10).unwrap();
        assert_eq!(
            S::branch_taken(Cond::Gt, Width::W64, r, S::constant(10)),
            Some(false)
        );
        assert_eq!(
            S::branch_taken(Cond::Le, Width::W64, r, S::constant(10)),
            Some(true)
        );
        assert_eq!(
            S::branch_taken(Cond::Gt, Width::W64, r, S::constant(5)),
            None
        );
        let (a, _) = S::refine(Cond::Gt, Width::W64, r, S::constant(5), true).unwrap();
        assert_eq!((a.umin(), a.umax()), (6, 10));
        let (a, _) = S::refine(Cond::Ne, Width::W64, r, S::constant(0), true).unwrap();
        assert_eq!(a.umin(), 1);
        // 32-bit compare on a 64-bit value refines the sub-register and, through it, the register.
        let x = S::from_urange(0x1_0000_0000, 0x1_0000_00ff).unwrap();
        let (a, _) = S::refine(Cond::Lt, Width::W32, x, S::constant(16), true).unwrap();
        assert_eq!((a.umin(), a.umax()), (0x1_0000_0000, 0x1_0000_000f));
        // JSET with a single candidate bit.
        let t = S::from_tnum(Tnum::unwrap_new(0, 0b1001));
        let (a, _) = S::refine(Cond::Set, Width::W64, t, S::constant(0b1000), true).unwrap();
        assert_eq!(a.var_off(), Tnum::unwrap_new(0b1000, 0b0001));
        let (a, _) = S::refine(Cond::Set, Width::W64, t, S::constant(0b1000), false).unwrap();
        assert_eq!(a.var_off(), Tnum::unwrap_new(0, 0b0001));
        assert_eq!(
            S::branch_taken(Cond::Set, Width::W64, t, S::constant(0b0110)),
            Some(false)
        );
        // Signed compare against S64_MIN/S64_MAX boundaries.
        assert_eq!(
            S::branch_taken(
                Cond::SLt,
                Width::W64,
                S::top(),
                S::constant(i64::MIN as u64)
            ),
            Some(false)
        );
        assert_eq!(
            S::branch_taken(
                Cond::SLe,
                Width::W64,
                S::top(),
                S::constant(i64::MAX as u64)
            ),
            Some(true)
        );
    }
}
