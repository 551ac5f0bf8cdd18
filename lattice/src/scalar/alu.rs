//! ALU transfer functions on [`ScalarOf`], 64-bit and 32-bit forms.
//!
//! The 64-bit form runs the operator on the full-width views and, when the low half of the result
//! depends only on the low halves of the operands (add, sub, mul, neg, and, or, xor, lsh,
//! sign extension from at most 32 bits), also on the sub-register views; then reduces.
//! The 32-bit form runs on the sub-register views only and zero-extends the result, as BPF's
//! `ALU32` class does.
//!
//! BPF semantics, not C's: `x / 0 = 0`, `x % 0 = x`, `S64_MIN / -1 = S64_MIN`,
//! `S64_MIN % -1 = 0`, and shift amounts are masked (`& 63`, or `& 31` for 32-bit ops).
//! Byte swaps follow a little-endian target: `to_le` truncates, `to_be` and `bswap` swap.
//!
//! | operator | tnum | ranges | compared with the kernel |
//! |---|---|---|---|
//! | add, sub, neg | optimal (`tnum_add`, `tnum_sub`) | exact arcs from both unsigned and signed inputs | kernel loses the unsigned range on partial overflow; we keep the signed arc |
//! | mul | `tnum_mul` both ways, met | unsigned product and signed corners | same rules |
//! | udiv, umod, sdiv, smod | power-of-two divisors as shift/truncation | interval division for any divisor range | kernel needs a constant divisor |
//! | and, or, xor | optimal | bounds from the tnum and the operands | same rules |
//! | lsh, rsh, arsh | exact per amount | exact per amount, joined over the possible amounts | kernel needs a constant amount |
//! | bswap | exact | from the tnum | same |
//! | sign extension | exact | from the low-bit arcs | kernel falls back to the type range more often |
//!
//! Mechanics example (8-bit words, 4-bit sub-register): `[240, 250] + 10` as a 64-bit-style add has
//! the tnum `tnum_add`, no unsigned hull (the sum wraps past 255) but the signed arc `[-6, 4]`, and
//! the sub-register add of the low nibbles; reduction then intersects the three.

use crate::srange::SRange;
use crate::tnum::Tnum;
use crate::urange::URange;
use crate::word::{WideWord, Word};

use super::parts::Parts;
use super::{internal_error, ScalarOf};

/// A binary ALU operation (mathematical, not a BPF encoding).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum AluOp {
    /// Wrapping addition.
    Add,
    /// Wrapping subtraction.
    Sub,
    /// Wrapping multiplication.
    Mul,
    /// Unsigned division, `x / 0 = 0`.
    Div,
    /// Signed division, `x / 0 = 0`, `MIN / -1 = MIN`.
    SDiv,
    /// Unsigned remainder, `x % 0 = x`.
    Mod,
    /// Signed remainder (sign of the dividend), `x % 0 = x`.
    SMod,
    /// Bitwise and.
    And,
    /// Bitwise or.
    Or,
    /// Bitwise xor.
    Xor,
    /// Shift left, amount masked to the width.
    Lsh,
    /// Logical shift right, amount masked.
    Rsh,
    /// Arithmetic shift right, amount masked.
    Arsh,
}

impl AluOp {
    /// Every operator, for sweeps and reports.
    pub const ALL: [AluOp; 13] = [
        AluOp::Add,
        AluOp::Sub,
        AluOp::Mul,
        AluOp::Div,
        AluOp::SDiv,
        AluOp::Mod,
        AluOp::SMod,
        AluOp::And,
        AluOp::Or,
        AluOp::Xor,
        AluOp::Lsh,
        AluOp::Rsh,
        AluOp::Arsh,
    ];

    /// Whether the low half of the result depends only on the low halves of the operands.
    #[inline]
    fn low_half_closed(self) -> bool {
        matches!(
            self,
            AluOp::Add | AluOp::Sub | AluOp::Mul | AluOp::And | AluOp::Or | AluOp::Xor | AluOp::Lsh
        )
    }

    /// The concrete operation with BPF semantics on a `V`-bit word.
    pub fn eval<V: Word>(self, x: V, y: V) -> V {
        let k = (y.to_u128() as u32) & (V::BITS - 1);
        match self {
            AluOp::Add => x.wrapping_add(y),
            AluOp::Sub => x.wrapping_sub(y),
            AluOp::Mul => x.wrapping_mul(y),
            AluOp::Div => {
                if y == V::ZERO {
                    V::ZERO
                } else {
                    V::from_u128(x.to_u128() / y.to_u128())
                }
            }
            AluOp::Mod => {
                if y == V::ZERO {
                    x
                } else {
                    V::from_u128(x.to_u128() % y.to_u128())
                }
            }
            AluOp::SDiv => {
                if y == V::ZERO {
                    V::ZERO
                } else {
                    V::from_i128(x.to_i128() / y.to_i128())
                }
            }
            AluOp::SMod => {
                if y == V::ZERO {
                    x
                } else {
                    V::from_i128(x.to_i128() % y.to_i128())
                }
            }
            AluOp::And => x & y,
            AluOp::Or => x | y,
            AluOp::Xor => x ^ y,
            AluOp::Lsh => x.shl(k),
            AluOp::Rsh => x.shr(k),
            AluOp::Arsh => x.sar(k),
        }
    }
}

/// Operand width of an ALU operation or a comparison.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Width {
    /// The 32-bit sub-register (results zero-extended).
    W32,
    /// The full register.
    W64,
}

impl<W: WideWord> ScalarOf<W> {
    #[inline]
    pub(crate) fn full(self) -> Parts<W> {
        Parts {
            t: self.var_off,
            u: self.u,
            s: self.s,
        }
    }

    #[inline]
    pub(crate) fn half(self) -> Parts<W::Half> {
        Parts {
            t: self.var_off.lo(),
            u: self.u32,
            s: self.s32,
        }
    }

    /// Combines full-width and sub-register results, reducing.
    #[inline]
    fn combine(full: Parts<W>, half: Parts<W::Half>, context: Self) -> Self {
        let t = full
            .t
            .meet(Tnum::from_halves(Tnum::unknown(), half.t))
            .unwrap_or(full.t);
        Self::reduce(t, full.u, full.s, half.u, half.s).unwrap_or_else(|| internal_error(context))
    }

    /// The zero extension of a sub-register result.
    #[inline]
    fn zext_parts(half: Parts<W::Half>, context: Self) -> Self {
        let t = Tnum::zext(half.t);
        let (u, s) = super::reduce::arc_hulls(
            W::zext(half.u.lo()),
            half.u.hi().to_u128() - half.u.lo().to_u128(),
        );
        Self::reduce(t, u, s, half.u, half.s).unwrap_or_else(|| internal_error(context))
    }

    /// The possible shift amounts `x & (bits - 1)` as a bit set (`bits` is 32 or 64, or the small
    /// test widths).
    fn shift_amounts<V: Word>(p: Parts<V>, bits: u32) -> u64 {
        let m = bits - 1;
        let low = p.t.trunc(bits.trailing_zeros());
        let (lo, hi) = if p.u.hi().to_u128() <= u128::from(m) {
            (p.u.lo().to_u128() as u32, p.u.hi().to_u128() as u32)
        } else {
            (0, m)
        };
        (lo..=hi)
            .filter(|&k| low.contains(V::from_u128(u128::from(k))))
            .fold(0u64, |acc, k| acc | 1 << k)
    }

    /// [`Self::shift_amounts`] for shifts, nothing for other operators (it walks up to `bits`
    /// candidate amounts, which is wasted work on the hot `add` path).
    #[inline]
    fn amounts_if_shift<V: Word>(op: AluOp, p: Parts<V>, bits: u32) -> u64 {
        match op {
            AluOp::Lsh | AluOp::Rsh | AluOp::Arsh => Self::shift_amounts(p, bits),
            _ => 0,
        }
    }

    /// Applies one operator on one width's views. `amounts` is the shift-amount set.
    fn parts_op<V: Word>(op: AluOp, a: Parts<V>, b: Parts<V>, amounts: u64) -> Parts<V> {
        match op {
            AluOp::Add => a.add(b),
            AluOp::Sub => a.sub(b),
            AluOp::Mul => a.mul(b),
            AluOp::Div => a.udiv(b),
            AluOp::SDiv => a.sdiv(b),
            AluOp::Mod => a.umod(b),
            AluOp::SMod => a.smod(b),
            AluOp::And => a.and(b),
            AluOp::Or => a.or(b),
            AluOp::Xor => a.xor(b),
            AluOp::Lsh => a.shift_by(amounts, Parts::shl_const),
            AluOp::Rsh => a.shift_by(amounts, Parts::lshr_const),
            AluOp::Arsh => a.shift_by(amounts, Parts::ashr_const),
        }
    }

    /// The single entry point for binary ALU operations.
    pub fn alu(op: AluOp, width: Width, a: Self, b: Self) -> Self {
        match width {
            Width::W64 => {
                let (fa, fb) = (a.full(), b.full());
                // A remainder that leaves every dividend unchanged returns the dividend, views and all.
                if (op == AluOp::Mod && fa.umod_is_identity(fb))
                    || (op == AluOp::SMod && fa.smod_is_identity(fb))
                {
                    return a;
                }
                let amounts = Self::amounts_if_shift(op, fb, W::BITS);
                let full = if op == AluOp::Lsh {
                    // For `k >= 32` only sub-register bits survive: use the sub-register views too.
                    let ha = a.half();
                    fa.shift_by(amounts, |p, k| {
                        let r = p.shl_const(k);
                        let nb = W::BITS - k;
                        if (1..=W::Half::BITS).contains(&nb) {
                            r.with_low_bits(k, ha.low_hulls(nb))
                        } else {
                            r
                        }
                    })
                } else {
                    Self::parts_op(op, fa, fb, amounts)
                };
                let half = if op.low_half_closed() {
                    Self::parts_op(op, a.half(), b.half(), amounts)
                } else {
                    Parts::top()
                };
                Self::combine(full, half, a)
            }
            Width::W32 => {
                let (ha, hb) = (a.half(), b.half());
                let amounts = Self::amounts_if_shift(op, hb, W::Half::BITS);
                Self::zext_parts(Self::parts_op(op, ha, hb, amounts), a)
            }
        }
    }

    /// 64-bit `a + b`.
    pub fn add(self, b: Self) -> Self {
        Self::alu(AluOp::Add, Width::W64, self, b)
    }
    /// 64-bit `a - b`.
    pub fn sub(self, b: Self) -> Self {
        Self::alu(AluOp::Sub, Width::W64, self, b)
    }
    /// 64-bit `a * b`.
    pub fn mul(self, b: Self) -> Self {
        Self::alu(AluOp::Mul, Width::W64, self, b)
    }
    /// 64-bit unsigned `a / b`.
    pub fn udiv(self, b: Self) -> Self {
        Self::alu(AluOp::Div, Width::W64, self, b)
    }
    /// 64-bit signed `a / b`.
    pub fn sdiv(self, b: Self) -> Self {
        Self::alu(AluOp::SDiv, Width::W64, self, b)
    }
    /// 64-bit unsigned `a % b`.
    pub fn umod(self, b: Self) -> Self {
        Self::alu(AluOp::Mod, Width::W64, self, b)
    }
    /// 64-bit signed `a % b`.
    pub fn smod(self, b: Self) -> Self {
        Self::alu(AluOp::SMod, Width::W64, self, b)
    }
    /// 64-bit `a & b`.
    pub fn and(self, b: Self) -> Self {
        Self::alu(AluOp::And, Width::W64, self, b)
    }
    /// 64-bit `a | b`.
    pub fn or(self, b: Self) -> Self {
        Self::alu(AluOp::Or, Width::W64, self, b)
    }
    /// 64-bit `a ^ b`.
    pub fn xor(self, b: Self) -> Self {
        Self::alu(AluOp::Xor, Width::W64, self, b)
    }
    /// 64-bit `a << (b & 63)`.
    pub fn lsh(self, b: Self) -> Self {
        Self::alu(AluOp::Lsh, Width::W64, self, b)
    }
    /// 64-bit logical `a >> (b & 63)`.
    pub fn rsh(self, b: Self) -> Self {
        Self::alu(AluOp::Rsh, Width::W64, self, b)
    }
    /// 64-bit arithmetic `a >> (b & 63)`.
    pub fn arsh(self, b: Self) -> Self {
        Self::alu(AluOp::Arsh, Width::W64, self, b)
    }

    /// Negation (`BPF_NEG`) at the given width.
    pub fn neg(self, width: Width) -> Self {
        match width {
            Width::W64 => Self::combine(self.full().neg(), self.half().neg(), self),
            Width::W32 => Self::zext_parts(self.half().neg(), self),
        }
    }

    /// The sub-register zero-extended (`w = w`, a 32-bit `mov`).
    pub fn zext32(self) -> Self {
        Self::zext_parts(self.half(), self)
    }

    /// Keeps the low `bits` bits, zero-extending (`bits >= BITS` is the identity).
    pub fn trunc(self, bits: u32) -> Self {
        if bits >= W::BITS {
            return self;
        }
        if bits == W::Half::BITS {
            return self.zext32();
        }
        let half = if bits > W::Half::BITS {
            self.half()
        } else {
            self.half().trunc(bits)
        };
        Self::combine(self.full().trunc(bits), half, self)
    }

    /// Swaps the low `bits / 8` bytes and clears the rest (`BPF_END` `bswap16/32/64`).
    pub fn bswap(self, bits: u32) -> Self {
        let t = self.var_off.bswap(bits / 8);
        let top = Self::top();
        Self::reduce(t, top.u, top.s, top.u32, top.s32).unwrap_or_else(|| internal_error(self))
    }

    /// `BPF_END` `to_be` on a little-endian target: a byte swap.
    pub fn to_be(self, bits: u32) -> Self {
        self.bswap(bits)
    }

    /// `BPF_END` `to_le` on a little-endian target: truncation to `bits` (64 is a no-op).
    pub fn to_le(self, bits: u32) -> Self {
        self.trunc(bits)
    }

    /// Sign extension from the low `from_bits` bits (`movsx`); the 32-bit form sign-extends within
    /// the sub-register and zero-extends the result.
    pub fn sign_extend(self, from_bits: u32, width: Width) -> Self {
        match width {
            Width::W64 => {
                let half = if from_bits >= W::Half::BITS {
                    self.half()
                } else {
                    self.half().sext(from_bits)
                };
                Self::combine(self.full().sext(from_bits), half, self)
            }
            Width::W32 => Self::zext_parts(self.half().sext(from_bits), self),
        }
    }

    /// The result of a zero-extending load of `bytes` bytes of unknown memory.
    pub fn load(bytes: u32) -> Self {
        Self::unknown_bits(bytes * 8)
    }

    /// The result of a sign-extending load of `bytes` bytes of unknown memory (`ldsx`).
    pub fn sign_extended_load(bytes: u32) -> Self {
        Self::unknown_bits(bytes * 8).sign_extend(bytes * 8, Width::W64)
    }
}

/// Unused-import guard for items only the docs mention.
#[allow(dead_code, reason = "keeps the range types in scope for doc links")]
type DocLinks<W> = (URange<W>, SRange<W>);

#[cfg(test)]
mod tests {
    use super::super::exhaust;
    use super::super::testkit::{family, members, sample64, sweep_binary};
    use super::*;
    use crate::word::U4;

    /// Every pair of the sweep family and every pair of members at 4 bits (exhaustive), a sample
    /// of pairs at 8 bits with `SLOW_TESTS=1`, and 64-bit samples around the type boundaries.
    fn sweep_op(op: AluOp) {
        let fam = exhaust::sweep_family::<U4>();
        for width in [Width::W64, Width::W32] {
            let name = format!("{op:?}/{width:?}");
            let swept = exhaust::binary::<U4>(
                &name,
                &fam,
                |a, b| ScalarOf::alu(op, width, a, b),
                |x, y| eval_width(op, width, x, y),
            );
            assert_eq!(swept.cases, (fam.len() * fam.len()) as u64);
            println!(
                "{name}: {} pairs, {} member pairs",
                swept.cases, swept.members
            );
            if super::super::testkit::slow() {
                sweep_binary::<u8>(
                    &name,
                    |a, b| ScalarOf::alu(op, width, a, b),
                    |x, y| eval_width(op, width, x, y),
                );
            }
            sample64(
                &name,
                |a, b| ScalarOf::alu(op, width, a, b),
                |x, y| eval_width(op, width, x, y),
            );
        }
    }

    /// The concrete semantics at a width: 32-bit forms act on the low half and zero-extend.
    pub(crate) fn eval_width<W: WideWord>(op: AluOp, width: Width, x: W, y: W) -> W {
        match width {
            Width::W64 => op.eval(x, y),
            Width::W32 => W::zext(op.eval(x.lo(), y.lo())),
        }
    }

    #[test]
    fn soundness_add() {
        sweep_op(AluOp::Add);
    }
    #[test]
    fn soundness_sub() {
        sweep_op(AluOp::Sub);
    }
    #[test]
    fn soundness_mul() {
        sweep_op(AluOp::Mul);
    }
    #[test]
    fn soundness_udiv() {
        sweep_op(AluOp::Div);
    }
    #[test]
    fn soundness_sdiv() {
        sweep_op(AluOp::SDiv);
    }
    #[test]
    fn soundness_umod() {
        sweep_op(AluOp::Mod);
    }
    #[test]
    fn soundness_smod() {
        sweep_op(AluOp::SMod);
    }
    #[test]
    fn soundness_and() {
        sweep_op(AluOp::And);
    }
    #[test]
    fn soundness_or() {
        sweep_op(AluOp::Or);
    }
    #[test]
    fn soundness_xor() {
        sweep_op(AluOp::Xor);
    }
    #[test]
    fn soundness_lsh() {
        sweep_op(AluOp::Lsh);
    }
    #[test]
    fn soundness_rsh() {
        sweep_op(AluOp::Rsh);
    }
    #[test]
    fn soundness_arsh() {
        sweep_op(AluOp::Arsh);
    }

    /// Unary operators are cheap enough to sweep the full 4-bit family (every tnum, every interval
    /// view and the best abstraction of every subset of words) in every run, member by member.
    #[test]
    fn soundness_neg_zext_trunc_sext() {
        let fam = exhaust::full_family::<U4>();
        let mut swept = Vec::new();
        let mut run =
            |name: &str, abs: &dyn Fn(ScalarOf<U4>) -> ScalarOf<U4>, conc: &dyn Fn(U4) -> U4| {
                swept.push(exhaust::unary(name, &fam, abs, conc));
            };
        run("neg64", &|a| a.neg(Width::W64), &|x| x.wrapping_neg());
        run("neg32", &|a| a.neg(Width::W32), &|x| {
            U4::zext(x.lo().wrapping_neg())
        });
        run("zext32", &ScalarOf::zext32, &|x| U4::zext(x.lo()));
        for bits in 1..=4 {
            run("trunc", &|a| a.trunc(bits), &|x| x & U4::low_mask(bits));
            run("to_le", &|a| a.to_le(bits), &|x| x & U4::low_mask(bits));
            run("sext64", &|a| a.sign_extend(bits, Width::W64), &|x| {
                x.sext_from(bits)
            });
        }
        for bits in 1..=2 {
            run("sext32", &|a| a.sign_extend(bits, Width::W32), &|x| {
                U4::zext(x.lo().sext_from(bits))
            });
        }
        let total = exhaust::total(swept);
        assert_eq!(total.cases, fam.len() as u64 * (3 + 3 * 4 + 2));
        println!("unary: {} cases, {} members", total.cases, total.members);
        if super::super::testkit::slow() {
            for a in family::<u8>() {
                for bits in 1..=8 {
                    let (t, e) = (a.trunc(bits), a.sign_extend(bits, Width::W64));
                    for x in members(&a) {
                        assert!(t.contains(x & u8::low_mask(bits)), "trunc {bits} {a} {x}");
                        assert!(e.contains(x.sext_from(bits)), "sext {bits} {a} {x}");
                    }
                }
            }
        }
    }

    /// Loads of a known width at 4 and 8 bits: exactly the zero-extended (or sign-extended) words
    /// of that width, member by member.
    #[test]
    fn loads_are_exact_small() {
        fn check<W: WideWord>() -> u64 {
            let mut n = 0;
            for bits in 0..=W::BITS {
                let l = ScalarOf::<W>::unknown_bits(bits);
                let want: Vec<W> = crate::word::all_values::<W>()
                    .filter(|&x| x & !W::low_mask(bits) == W::ZERO)
                    .collect();
                assert_eq!(members(&l), want, "unknown_bits({bits})");
                if bits > 0 {
                    let sx = l.sign_extend(bits, Width::W64);
                    let mut want: Vec<W> = want.iter().map(|x| x.sext_from(bits)).collect();
                    want.sort();
                    assert_eq!(members(&sx), want, "sign-extended {bits}");
                }
                n += 1;
            }
            n
        }
        assert_eq!(check::<U4>() + check::<u8>(), 5 + 9);
    }

    #[test]
    fn soundness_bswap_and_loads_64() {
        let mut rng = super::super::testkit::Rng::new(3);
        let seeds = super::super::testkit::seeds64();
        for _ in 0..3000 {
            let a = super::super::testkit::random64(&mut rng, &seeds);
            let x = super::super::testkit::member64(&mut rng, &a);
            for bits in [16, 32, 64] {
                assert!(a.bswap(bits).contains(x.swap_bytes_low(bits / 8)));
                assert!(a.to_be(bits).contains(x.swap_bytes_low(bits / 8)));
                assert!(a.to_le(bits).contains(x & u64::low_mask(bits)));
            }
            for bits in [8, 16, 32] {
                assert!(a.sign_extend(bits, Width::W64).contains(x.sext_from(bits)));
            }
            assert!(a
                .sign_extend(8, Width::W32)
                .contains(u64::from((x as u32).sext_from(8))));
            assert!(a.zext32().contains(x & 0xffff_ffff));
            assert!(a.neg(Width::W64).contains(x.wrapping_neg()));
        }
        let l = ScalarOf::<u64>::load(2);
        assert_eq!((l.umin(), l.umax()), (0, 0xffff));
        let l = ScalarOf::<u64>::sign_extended_load(1);
        assert_eq!((l.smin(), l.smax()), (-128, 127));
        assert_eq!((l.s32_min(), l.s32_max()), (-128, 127));
    }

    #[test]
    fn named_boundary_cases_64() {
        type S = ScalarOf<u64>;
        let c = S::constant;
        assert_eq!(
            c(i64::MIN as u64).sdiv(c(u64::MAX)).is_const(),
            Some(i64::MIN as u64)
        );
        assert_eq!(c(i64::MIN as u64).smod(c(u64::MAX)).is_const(), Some(0));
        assert_eq!(c(5).udiv(c(0)).is_const(), Some(0));
        assert_eq!(c(5).umod(c(0)).is_const(), Some(5));
        assert_eq!(c(1).lsh(c(65)).is_const(), Some(2));
        assert_eq!(
            S::alu(AluOp::Lsh, Width::W32, c(1), c(33)).is_const(),
            Some(2)
        );
        assert_eq!(
            S::alu(AluOp::Add, Width::W32, c(u64::from(u32::MAX)), c(1)).is_const(),
            Some(0)
        );
        assert_eq!(c(u64::MAX - 1).add(c(1)).is_const(), Some(u64::MAX));
        // Partial unsigned overflow keeps the signed arc.
        let r = S::from_urange(u64::MAX - 5, u64::MAX).unwrap().add(c(10));
        assert_eq!((r.smin(), r.smax()), (4, 9));
        let r = S::from_urange(u64::MAX - 5, u64::MAX)
            .unwrap()
            .add(S::from_urange(0, 10).unwrap());
        assert_eq!((r.smin(), r.smax()), (-6, 9));
        // Shift by an unknown but small amount.
        let r = c(1).lsh(S::from_urange(0, 3).unwrap());
        assert_eq!((r.umin(), r.umax()), (1, 8));
        assert_eq!(r.var_off(), Tnum::unwrap_new(0, 0xf));
    }
}
