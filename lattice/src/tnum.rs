//! Tristate numbers (`Tnum`): the bit-level domain, kernel `struct tnum`.
//!
//! Representation: a pair `(value, mask)` of words.
//! A bit set in `mask` is unknown; otherwise the bit is known and equals the bit of `value`.
//! Invariant (held by the type, fields private): `value & mask == 0`.
//!
//! Concretization: `γ(v, m) = { x | x & !m == v }`, a set of `2^popcount(m)` words.
//! There is no bottom element inside the type: operations that can find a contradiction
//! ([`Tnum::meet`]) return `Option`.
//!
//! Order: `a ⊑ b` iff `γ(a) ⊆ γ(b)` iff `a.mask ⊆ b.mask` and `a.value & !b.mask == b.value`.
//! The lattice is the product of one three-point lattice per bit (`0`, `1` below `x`), so its height
//! is `BITS` and widening can simply be the join.
//!
//! ```text
//!        x          (per bit; a tnum is one of these per bit position)
//!       / \
//!      0   1
//! ```
//!
//! | operation | precision | note or counter-example (4-bit) |
//! |---|---|---|
//! | `join` (`tnum_union`) | optimal | `0b0001 ⊔ 0b0010 = 0b00xx`, which adds `0b0000`, `0b0011` |
//! | `meet` (`tnum_intersect`, with contradiction check) | exact | |
//! | `le`, `contains` | exact | |
//! | `range(min, max)` | over-approximating | `range(1, 2) = 0b00xx` holds 0 and 3 |
//! | `add`, `sub`, `neg` (kernel `tnum_add`/`tnum_sub`) | optimal | proven by exhaustion at 4 bits |
//! | `and`, `or`, `xor` | optimal | proven by exhaustion at 4 bits |
//! | `shl`, `lshr`, `ashr` by a constant | optimal (exact up to join) | |
//! | `mul` | over-approximating | `0bxx * 0b11`: true results `{0, 3, 6, 9}`, tnum `0bxxxx` |
//! | `bswap`, `trunc`, `sext` | exact (bit permutations / copies) | |
//!
//! Mechanics of `add`, with `a = 0b00x1` and `b = 0b0001` (kernel `tnum_add`):
//! the sum of the known values is `sv = 0b0010`, the sum with every unknown bit set is
//! `sigma = sv + (a.mask + b.mask) = 0b0100`; the bits where those two sums differ, `chi = 0b0110`,
//! are the bits a carry may reach; with the operands' own unknown bits, `mu = 0b0110`, giving
//! `0b0xx0` = `{0b0000, 0b0010, 0b0100, 0b0110}` ⊇ `{1+1, 3+1}`.

use core::fmt;

use crate::word::{WideWord, Word};

/// A tristate number: each bit is known 0, known 1 or unknown.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Tnum<W: Word> {
    value: W,
    mask: W,
}

impl<W: Word> Tnum<W> {
    /// Builds `(value, mask)`; `None` if a bit is both known-1 and unknown.
    #[inline]
    pub fn new(value: W, mask: W) -> Option<Self> {
        if value & mask == W::ZERO {
            Some(Tnum { value, mask })
        } else {
            None
        }
    }

    /// Like [`Tnum::new`] but panics on overlapping value and mask (for tests and constants).
    #[track_caller]
    pub fn unwrap_new(value: W, mask: W) -> Self {
        match Self::new(value, mask) {
            Some(it) => it,
            None => panic!("invalid tnum: value {value:#x} overlaps mask {mask:#x}"),
        }
    }

    /// Builds from any pair, clearing the value bits that are unknown.
    #[inline]
    fn masked(value: W, mask: W) -> Self {
        Tnum {
            value: value & !mask,
            mask,
        }
    }

    /// The singleton `{v}`.
    #[inline]
    pub fn constant(v: W) -> Self {
        Tnum {
            value: v,
            mask: W::ZERO,
        }
    }

    /// Every word (kernel `tnum_unknown`).
    #[inline]
    pub fn unknown() -> Self {
        Tnum {
            value: W::ZERO,
            mask: W::MAX,
        }
    }

    /// The known-1 bits.
    #[inline]
    pub fn value(self) -> W {
        self.value
    }

    /// The unknown bits.
    #[inline]
    pub fn mask(self) -> W {
        self.mask
    }

    /// `Some(v)` if the tnum is the constant `v`.
    #[inline]
    pub fn is_const(self) -> Option<W> {
        (self.mask == W::ZERO).then_some(self.value)
    }

    /// Whether every bit is unknown.
    #[inline]
    pub fn is_unknown(self) -> bool {
        self.mask == W::MAX
    }

    /// γ-membership.
    #[inline]
    pub fn contains(self, x: W) -> bool {
        x & !self.mask == self.value
    }

    /// The number of concrete members, `2^popcount(mask)`.
    #[inline]
    pub fn count(self) -> u128 {
        1u128 << self.mask.count_ones()
    }

    /// Smallest member in the unsigned order.
    #[inline]
    pub fn umin(self) -> W {
        self.value
    }

    /// Largest member in the unsigned order.
    #[inline]
    pub fn umax(self) -> W {
        self.value | self.mask
    }

    /// Smallest member in the signed order: sign bit set if it may be, other bits minimal.
    #[inline]
    pub fn smin(self) -> W {
        self.value | (self.mask & W::SIGN)
    }

    /// Largest member in the signed order.
    #[inline]
    pub fn smax(self) -> W {
        self.value | (self.mask & !W::SIGN)
    }

    /// Tightest tnum holding `[min, max]` (kernel `tnum_range`): the common prefix of the bounds,
    /// every lower bit unknown. Over-approximating: `range(1, 2) = 0b00xx`.
    #[inline]
    pub fn range(min: W, max: W) -> Self {
        let chi = min ^ max;
        let bits = W::BITS - chi.leading_zeros();
        let delta = W::low_mask(bits);
        Tnum {
            value: min & !delta,
            mask: delta,
        }
    }

    /// Least upper bound (kernel `tnum_union`); optimal.
    #[inline]
    pub fn join(self, other: Self) -> Self {
        let mu = (self.value ^ other.value) | self.mask | other.mask;
        Self::masked(self.value & other.value, mu)
    }

    /// Greatest lower bound, exact; `None` when a bit is known 0 in one and known 1 in the other.
    #[inline]
    pub fn meet(self, other: Self) -> Option<Self> {
        let known_both = !self.mask & !other.mask;
        if (self.value ^ other.value) & known_both != W::ZERO {
            return None;
        }
        let mu = self.mask & other.mask;
        Some(Self::masked(self.value | other.value, mu))
    }

    /// Whether `γ(self) ∩ γ(other)` is non-empty.
    #[inline]
    pub fn overlaps(self, other: Self) -> bool {
        self.meet(other).is_some()
    }

    /// `γ(self) ⊆ γ(other)`, exact (kernel `tnum_in(other, self)`).
    #[inline]
    pub fn le(self, other: Self) -> bool {
        self.mask & !other.mask == W::ZERO && self.value & !other.mask == other.value
    }

    /// Widening. The tnum lattice has height `BITS`, so the join already terminates.
    #[inline]
    pub fn widen(self, newer: Self) -> Self {
        self.join(newer)
    }

    /// Smallest member `>= x` in the unsigned order, if any.
    ///
    /// Mechanics: find the highest bit where `x` contradicts a known bit.
    /// If `x` has 0 where a 1 is required, keep `x` above that bit, set it, and take the minimum
    /// below. If `x` has 1 where a 0 is required, carry into the lowest unknown bit above it that is
    /// 0 in `x`, and take the minimum below that.
    /// E.g. members of `0b1x0x` at or above `0b1011`: conflict at bit 1 (x has 1, known 0), carry
    /// into bit 2 giving `0b1100`.
    pub fn next_ge(self, x: W) -> Option<W> {
        let conflict = (x ^ self.value) & !self.mask;
        if conflict == W::ZERO {
            return Some(x);
        }
        let p = W::BITS - 1 - conflict.leading_zeros();
        let above_p = !W::low_mask(p + 1);
        if self.value & W::ONE.shl(p) != W::ZERO {
            return Some((x & above_p) | (self.value & !above_p));
        }
        let free = self.mask & !x & above_p;
        if free == W::ZERO {
            return None;
        }
        let q = free.trailing_zeros();
        let above_q = !W::low_mask(q + 1);
        Some((x & above_q) | W::ONE.shl(q) | (self.value & W::low_mask(q)))
    }

    /// Largest member `<= x` in the unsigned order, if any (the mirror of [`Tnum::next_ge`]).
    pub fn prev_le(self, x: W) -> Option<W> {
        self.complement().next_ge(!x).map(|y| !y)
    }

    /// Smallest member `>= x` in the signed order.
    pub fn next_ge_signed(self, x: W) -> Option<W> {
        self.flip_sign().next_ge(x ^ W::SIGN).map(|y| y ^ W::SIGN)
    }

    /// Largest member `<= x` in the signed order.
    pub fn prev_le_signed(self, x: W) -> Option<W> {
        self.flip_sign().prev_le(x ^ W::SIGN).map(|y| y ^ W::SIGN)
    }

    /// `{ !x | x ∈ γ(self) }`.
    #[inline]
    fn complement(self) -> Self {
        Tnum {
            value: !self.value & !self.mask,
            mask: self.mask,
        }
    }

    /// `{ x ^ SIGN | x ∈ γ(self) }`: maps the signed order onto the unsigned one.
    #[inline]
    pub(crate) fn flip_sign(self) -> Self {
        Tnum {
            value: (self.value ^ W::SIGN) & !self.mask,
            mask: self.mask,
        }
    }

    // ----- arithmetic -----

    /// Addition (mirrors kernel `tnum_add`); optimal.
    #[inline]
    pub fn add(self, other: Self) -> Self {
        let sm = self.mask.wrapping_add(other.mask);
        let sv = self.value.wrapping_add(other.value);
        let sigma = sm.wrapping_add(sv);
        let chi = sigma ^ sv;
        let mu = chi | self.mask | other.mask;
        Self::masked(sv, mu)
    }

    /// Subtraction (mirrors kernel `tnum_sub`): the difference of the values, with unknown bits
    /// wherever the extreme differences `dv + a.mask` and `dv - b.mask` disagree; optimal.
    #[inline]
    pub fn sub(self, other: Self) -> Self {
        let dv = self.value.wrapping_sub(other.value);
        let alpha = dv.wrapping_add(self.mask);
        let beta = dv.wrapping_sub(other.mask);
        let chi = alpha ^ beta;
        let mu = chi | self.mask | other.mask;
        Self::masked(dv, mu)
    }

    /// Two's-complement negation, `0 - self`; optimal.
    #[inline]
    pub fn neg(self) -> Self {
        Self::constant(W::ZERO).sub(self)
    }

    /// Multiplication; over-approximating.
    ///
    /// Long multiplication over the bits of `a` (kernel `tnum_mul`): a known-1 bit adds the
    /// shifted `b`, an unknown bit joins "added" with "not added".
    /// Because that scheme is asymmetric we run it both ways and meet the two sound results.
    /// Example: `0b0x1 * 0b011` adds `0b011` (bit 0), then joins `acc` with `acc + 0b110` (bit 1):
    /// `0b0011 ⊔ 0b1001 = 0bx0x1`.
    pub fn mul(self, other: Self) -> Self {
        let ab = Self::mul_long(self, other);
        let ba = Self::mul_long(other, self);
        ab.meet(ba).unwrap_or(ab)
    }

    fn mul_long(mut a: Self, mut b: Self) -> Self {
        let mut acc = Self::constant(W::ZERO);
        while a.value != W::ZERO || a.mask != W::ZERO {
            if a.value & W::ONE != W::ZERO {
                acc = acc.add(b);
            } else if a.mask & W::ONE != W::ZERO {
                acc = acc.join(acc.add(b));
            }
            a = a.lshr(1);
            b = b.shl(1);
        }
        acc
    }

    /// Bitwise and (kernel `tnum_and`); optimal.
    #[inline]
    pub fn and(self, other: Self) -> Self {
        let alpha = self.value | self.mask;
        let beta = other.value | other.mask;
        let v = self.value & other.value;
        Tnum {
            value: v,
            mask: alpha & beta & !v,
        }
    }

    /// Bitwise or (kernel `tnum_or`); optimal.
    #[inline]
    pub fn or(self, other: Self) -> Self {
        let v = self.value | other.value;
        let mu = self.mask | other.mask;
        Tnum {
            value: v,
            mask: mu & !v,
        }
    }

    /// Bitwise xor (kernel `tnum_xor`); optimal.
    #[inline]
    pub fn xor(self, other: Self) -> Self {
        let mu = self.mask | other.mask;
        Self::masked(self.value ^ other.value, mu)
    }

    /// Shift left by a known amount (`k >= BITS` gives 0); exact.
    #[inline]
    pub fn shl(self, k: u32) -> Self {
        Tnum {
            value: self.value.shl(k),
            mask: self.mask.shl(k),
        }
    }

    /// Logical shift right by a known amount; exact.
    #[inline]
    pub fn lshr(self, k: u32) -> Self {
        Tnum {
            value: self.value.shr(k),
            mask: self.mask.shr(k),
        }
    }

    /// Arithmetic shift right by a known amount; exact (an unknown sign bit spreads as unknown).
    #[inline]
    pub fn ashr(self, k: u32) -> Self {
        Tnum {
            value: self.value.sar(k),
            mask: self.mask.sar(k),
        }
    }

    /// Keeps the low `bits` bits and clears the rest (kernel `tnum_cast`); exact.
    #[inline]
    pub fn trunc(self, bits: u32) -> Self {
        let m = W::low_mask(bits);
        Tnum {
            value: self.value & m,
            mask: self.mask & m,
        }
    }

    /// Sign-extends from the low `bits` bits; exact.
    #[inline]
    pub fn sext(self, bits: u32) -> Self {
        Tnum {
            value: self.value.sext_from(bits),
            mask: self.mask.sext_from(bits),
        }
    }

    /// Reverses the low `bytes` bytes and clears the rest (kernel `tnum_bswap16/32/64`); exact.
    #[inline]
    pub fn bswap(self, bytes: u32) -> Self {
        Tnum {
            value: self.value.swap_bytes_low(bytes),
            mask: self.mask.swap_bytes_low(bytes),
        }
    }

    /// Iterates over γ in increasing order (test helper; use only at small widths).
    pub fn members(self) -> impl Iterator<Item = W> + Clone {
        let mut next = Some(self.value);
        core::iter::from_fn(move || {
            let cur = next?;
            // The next member is the next value of the mask bits counted as a little binary counter.
            next = if cur == self.umax() {
                None
            } else {
                let sub = (cur & self.mask).wrapping_sub(self.mask) & self.mask;
                Some(self.value | sub)
            };
            Some(cur)
        })
    }

    /// Every valid tnum of this width (test helper: `3^BITS` elements).
    pub fn all() -> impl Iterator<Item = Self> {
        crate::word::all_values::<W>()
            .flat_map(|m| crate::word::all_values::<W>().filter_map(move |v| Self::new(v, m)))
    }
}

impl<W: WideWord> Tnum<W> {
    /// The low half (kernel `tnum_subreg`, as a half-width tnum).
    #[inline]
    pub fn lo(self) -> Tnum<W::Half> {
        Tnum {
            value: self.value.lo(),
            mask: self.mask.lo(),
        }
    }

    /// The high half.
    #[inline]
    pub fn hi(self) -> Tnum<W::Half> {
        Tnum {
            value: self.value.hi(),
            mask: self.mask.hi(),
        }
    }

    /// Joins a high and a low half.
    #[inline]
    pub fn from_halves(hi: Tnum<W::Half>, lo: Tnum<W::Half>) -> Self {
        Tnum {
            value: W::from_halves(hi.value, lo.value),
            mask: W::from_halves(hi.mask, lo.mask),
        }
    }

    /// Zero extension of a half-width tnum.
    #[inline]
    pub fn zext(lo: Tnum<W::Half>) -> Self {
        Self::from_halves(Tnum::constant(W::Half::ZERO), lo)
    }

    /// Sign extension of a half-width tnum.
    #[inline]
    pub fn sext_half(lo: Tnum<W::Half>) -> Self {
        Tnum {
            value: W::sext(lo.value),
            mask: W::sext(lo.mask),
        }
    }
}

impl<W: Word> fmt::Debug for Tnum<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({:#x}; {:#x})", self.value, self.mask)
    }
}

impl<W: Word> fmt::Display for Tnum<W> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::word::{all_values, U4};

    type T4 = Tnum<U4>;

    fn all4() -> Vec<T4> {
        T4::all().collect()
    }

    /// α of a set of words: the best tnum.
    fn alpha<W: Word>(xs: impl IntoIterator<Item = W>) -> Option<Tnum<W>> {
        xs.into_iter().map(Tnum::constant).reduce(Tnum::join)
    }

    /// Checks soundness, and optimality if asked, of a binary operator on every pair of 4-bit tnums.
    fn check_binary(op: impl Fn(T4, T4) -> T4, conc: impl Fn(U4, U4) -> U4, optimal: bool) {
        let all = all4();
        for &a in &all {
            for &b in &all {
                let r = op(a, b);
                let res = a.members().flat_map(|x| b.members().map(move |y| (x, y)));
                for (x, y) in res.clone() {
                    assert!(
                        r.contains(conc(x, y)),
                        "{a:?} op {b:?} = {r:?} misses {x}, {y}"
                    );
                }
                if optimal {
                    let best = alpha(res.map(|(x, y)| conc(x, y))).unwrap();
                    assert_eq!(r, best, "{a:?} op {b:?} not optimal");
                }
            }
        }
    }

    #[test]
    fn count_and_membership() {
        assert_eq!(all4().len(), 81);
        for t in all4() {
            let ms: Vec<_> = t.members().collect();
            assert_eq!(ms.len() as u128, t.count());
            for x in all_values::<U4>() {
                assert_eq!(t.contains(x), ms.contains(&x));
            }
        }
    }

    #[test]
    fn laws_tnum() {
        let all = all4();
        for &a in &all {
            assert_eq!(a.join(a), a);
            for &b in &all {
                let j = a.join(b);
                assert_eq!(j, b.join(a));
                assert!(a.le(j) && b.le(j));
                let incl = a.members().all(|x| b.contains(x));
                assert_eq!(a.le(b), incl, "{a:?} le {b:?}");
                let m = a.meet(b);
                for x in all_values::<U4>() {
                    let both = a.contains(x) && b.contains(x);
                    assert_eq!(m.is_some_and(|m| m.contains(x)), both);
                }
                assert_eq!(a.overlaps(b), a.members().any(|x| b.contains(x)));
            }
        }
    }

    #[test]
    fn optimality_join() {
        let all = all4();
        for &a in &all {
            for &b in &all {
                assert_eq!(a.join(b), alpha(a.members().chain(b.members())).unwrap());
            }
        }
    }

    #[test]
    fn soundness_range() {
        for lo in all_values::<U4>() {
            for hi in all_values::<U4>().filter(|&h| h >= lo) {
                let t = T4::range(lo, hi);
                for x in all_values::<U4>().filter(|&x| lo <= x && x <= hi) {
                    assert!(t.contains(x));
                }
            }
        }
    }

    #[test]
    fn next_and_prev_members() {
        for t in all4() {
            for x in all_values::<U4>() {
                let nu = t.members().find(|&m| m >= x);
                assert_eq!(t.next_ge(x), nu, "{t:?} next_ge {x}");
                let pu = t.members().filter(|&m| m <= x).last();
                assert_eq!(t.prev_le(x), pu, "{t:?} prev_le {x}");
                let ns = t
                    .members()
                    .filter(|&m| x.sle(m))
                    .min_by_key(|m| m.to_i128());
                assert_eq!(t.next_ge_signed(x), ns);
                let ps = t
                    .members()
                    .filter(|&m| m.sle(x))
                    .max_by_key(|m| m.to_i128());
                assert_eq!(t.prev_le_signed(x), ps);
            }
        }
    }

    #[test]
    fn soundness_add() {
        check_binary(T4::add, U4::wrapping_add, false);
    }
    #[test]
    fn optimality_add() {
        check_binary(T4::add, U4::wrapping_add, true);
    }
    #[test]
    fn optimality_sub() {
        check_binary(T4::sub, U4::wrapping_sub, true);
    }
    #[test]
    fn soundness_mul() {
        check_binary(T4::mul, U4::wrapping_mul, false);
    }
    #[test]
    fn optimality_and() {
        check_binary(T4::and, |x, y| x & y, true);
    }
    #[test]
    fn optimality_or() {
        check_binary(T4::or, |x, y| x | y, true);
    }
    #[test]
    fn optimality_xor() {
        check_binary(T4::xor, |x, y| x ^ y, true);
    }

    #[test]
    fn optimality_neg_and_shifts() {
        for a in all4() {
            let conc = |f: &dyn Fn(U4) -> U4| alpha(a.members().map(f)).unwrap();
            assert_eq!(a.neg(), conc(&|x| x.wrapping_neg()));
            for k in 0..5 {
                assert_eq!(a.shl(k), conc(&|x| x.shl(k)), "shl {a:?} {k}");
                assert_eq!(a.lshr(k), conc(&|x| x.shr(k)));
                assert_eq!(a.ashr(k), conc(&|x| x.sar(k)));
            }
            for bits in 1..=4 {
                assert_eq!(a.trunc(bits), conc(&|x| x & U4::low_mask(bits)));
                assert_eq!(a.sext(bits), conc(&|x| x.sext_from(bits)));
            }
        }
    }

    #[test]
    fn optimality_bswap_u16() {
        let t = Tnum::<u16>::unwrap_new(0x1200, 0x00f0);
        assert_eq!(t.bswap(2), Tnum::unwrap_new(0x0012, 0xf000));
        assert_eq!(t.bswap(1), Tnum::unwrap_new(0x0000, 0x00f0));
    }

    #[test]
    fn mul_example_from_doc() {
        let a = Tnum::<u8>::unwrap_new(0b001, 0b010);
        let r = a.mul(Tnum::constant(0b011));
        assert!(r.contains(3) && r.contains(9));
        assert!(r.le(Tnum::unwrap_new(0b0001, 0b1010)));
    }

    #[test]
    fn halves() {
        let t = Tnum::<u64>::unwrap_new(0x1_0000_0001, 0xf0);
        assert_eq!(t.lo(), Tnum::unwrap_new(1, 0xf0));
        assert_eq!(t.hi(), Tnum::constant(1));
        assert_eq!(Tnum::from_halves(t.hi(), t.lo()), t);
        assert_eq!(
            Tnum::<u64>::sext_half(Tnum::unwrap_new(0, 0x8000_0000)).mask(),
            0xffff_ffff_8000_0000
        );
    }

    #[test]
    fn boundaries_64() {
        let t = Tnum::<u64>::range(0, u64::MAX);
        assert!(t.is_unknown());
        let t = Tnum::<u64>::range(i64::MIN as u64, u64::MAX);
        assert_eq!(t, Tnum::unwrap_new(1 << 63, (1 << 63) - 1));
        assert_eq!(
            Tnum::<u64>::constant(u64::MAX - 1)
                .add(Tnum::constant(1))
                .is_const(),
            Some(u64::MAX)
        );
        assert_eq!(Tnum::<u64>::constant(0).neg().is_const(), Some(0));
        assert_eq!(Tnum::<u64>::constant(1).neg().is_const(), Some(u64::MAX));
    }
}
