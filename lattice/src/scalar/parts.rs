//! Transfer functions on one width: a tnum with its unsigned and signed ranges.
//!
//! `Parts<V>` is the (unreduced) triple of views of a `V`-bit value. The ALU runs each operator on
//! the full-width parts, and on the sub-register parts whenever the low half of the result depends
//! only on the low halves of the operands (add, sub, mul, neg, and, or, xor, lsh), as the kernel's
//! `scalar32_min_max_*` do; the caller then reduces.
//!
//! Ranges go through *arcs*: the true (unwrapped) result of `+`, `-`, `*`, shifts, `/` lies in an
//! integer interval, whose image modulo `2^BITS` is an arc of the circle; one arc gives both an
//! unsigned and a signed hull, so each operator gets range facts from the unsigned and from the
//! signed inputs and keeps the intersection.
//! Example at 8 bits: `u[240, 250] + 10` wraps, so the unsigned hull is everything, but the arc
//! `250, 251, ..., 255, 0, ..., 4` has the signed hull `[-6, 4]`.

use crate::srange::SRange;
use crate::tnum::Tnum;
use crate::urange::URange;
use crate::word::Word;

use super::reduce::arc_hulls;

/// One width's views of a value, not necessarily reduced.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Parts<V: Word> {
    pub t: Tnum<V>,
    pub u: URange<V>,
    pub s: SRange<V>,
}

#[inline]
fn meet_u<V: Word>(a: URange<V>, b: URange<V>) -> URange<V> {
    // Both are sound for a non-empty set, so they intersect; keep `a` if an invariant broke.
    a.meet(b).unwrap_or(a)
}

#[inline]
fn meet_s<V: Word>(a: SRange<V>, b: SRange<V>) -> SRange<V> {
    a.meet(b).unwrap_or(a)
}

#[inline]
fn uspan<V: Word>(u: URange<V>) -> u128 {
    u.hi().to_u128() - u.lo().to_u128()
}

#[inline]
fn sspan<V: Word>(s: SRange<V>) -> u128 {
    (s.hi().to_i128() - s.lo().to_i128()) as u128
}

/// Hulls of the arc image of the integer interval `[lo, lo + len]`.
#[inline]
fn arc_i<V: Word>(lo: i128, len: u128) -> (URange<V>, SRange<V>) {
    arc_hulls(V::from_i128(lo), len)
}

impl<V: Word> Parts<V> {
    #[inline]
    pub fn top() -> Self {
        Parts {
            t: Tnum::unknown(),
            u: URange::full(),
            s: SRange::full(),
        }
    }

    #[inline]
    pub fn join(self, o: Self) -> Self {
        Parts {
            t: self.t.join(o.t),
            u: self.u.join(o.u),
            s: self.s.join(o.s),
        }
    }

    /// Builds from a tnum and two arcs' hulls.
    #[inline]
    fn from_arcs(t: Tnum<V>, a: (URange<V>, SRange<V>), b: (URange<V>, SRange<V>)) -> Self {
        Parts {
            t,
            u: meet_u(a.0, b.0),
            s: meet_s(a.1, b.1),
        }
    }

    /// `a + b`: arcs `[a.umin + b.umin, +spans]` and `[a.smin + b.smin, +spans]`.
    #[inline]
    pub fn add(self, o: Self) -> Self {
        let au = arc_i::<V>(
            self.u.lo().to_i128() + o.u.lo().to_i128(),
            uspan(self.u) + uspan(o.u),
        );
        let as_ = arc_i::<V>(
            self.s.lo().to_i128() + o.s.lo().to_i128(),
            sspan(self.s) + sspan(o.s),
        );
        Self::from_arcs(self.t.add(o.t), au, as_)
    }

    /// `a - b`: arcs `[a.umin - b.umax, +spans]` and the signed analogue.
    #[inline]
    pub fn sub(self, o: Self) -> Self {
        let au = arc_i::<V>(
            self.u.lo().to_i128() - o.u.hi().to_i128(),
            uspan(self.u) + uspan(o.u),
        );
        let as_ = arc_i::<V>(
            self.s.lo().to_i128() - o.s.hi().to_i128(),
            sspan(self.s) + sspan(o.s),
        );
        Self::from_arcs(self.t.sub(o.t), au, as_)
    }

    /// `-a`.
    #[inline]
    pub fn neg(self) -> Self {
        let au = arc_i::<V>(-self.u.hi().to_i128(), uspan(self.u));
        let as_ = arc_i::<V>(-self.s.hi().to_i128(), sspan(self.s));
        Self::from_arcs(self.t.neg(), au, as_)
    }

    /// `a * b`: unsigned product interval `[lo*lo, hi*hi]`, signed from the four corners.
    pub fn mul(self, o: Self) -> Self {
        let lo = self.u.lo().to_u128() * o.u.lo().to_u128();
        let hi = self.u.hi().to_u128() * o.u.hi().to_u128();
        let au = arc_hulls(V::from_u128(lo), hi - lo);
        let (a1, a2, b1, b2) = (
            self.s.lo().to_i128(),
            self.s.hi().to_i128(),
            o.s.lo().to_i128(),
            o.s.hi().to_i128(),
        );
        let cs = [a1 * b1, a1 * b2, a2 * b1, a2 * b2];
        let (smin, smax) = (
            cs.iter().copied().min().unwrap_or(0),
            cs.iter().copied().max().unwrap_or(0),
        );
        let as_ = arc_i::<V>(smin, (smax - smin) as u128);
        Self::from_arcs(self.t.mul(o.t), au, as_)
    }

    /// `a & b`: at least the known-1 bits, at most the smaller maximum.
    #[inline]
    pub fn and(self, o: Self) -> Self {
        let t = self.t.and(o.t);
        let u = URange::new(t.umin(), self.u.hi().min(o.u.hi()).min(t.umax()))
            .unwrap_or_else(URange::full);
        Parts {
            t,
            u,
            s: SRange::full(),
        }
    }

    /// `a | b`: at least the larger minimum, at most the possible-1 bits.
    #[inline]
    pub fn or(self, o: Self) -> Self {
        let t = self.t.or(o.t);
        let u = URange::new(self.u.lo().max(o.u.lo()).max(t.umin()), t.umax())
            .unwrap_or_else(URange::full);
        Parts {
            t,
            u,
            s: SRange::full(),
        }
    }

    /// `a ^ b`: bounds from the tnum only.
    #[inline]
    pub fn xor(self, o: Self) -> Self {
        let t = self.t.xor(o.t);
        Parts {
            t,
            u: URange::new(t.umin(), t.umax()).unwrap_or_else(URange::full),
            s: SRange::full(),
        }
    }

    /// `a << k` for a known `k` (`k >= BITS` gives 0).
    ///
    /// Only the low `BITS - k` bits survive, so besides the shifted arcs we also shift the hulls of
    /// those low bits; for `k = 32` this is the kernel's "`<<32` keeps the s32 bounds" special case.
    pub fn shl_const(self, k: u32) -> Self {
        if k >= V::BITS {
            let z = V::ZERO;
            return Parts {
                t: Tnum::constant(z),
                u: URange::constant(z),
                s: SRange::constant(z),
            };
        }
        let au = arc_hulls(self.u.lo().shl(k), uspan(self.u) << k);
        let as_ = arc_hulls(self.s.lo().shl(k), sspan(self.s) << k);
        Self::from_arcs(self.t.shl(k), au, as_).with_low_bits(k, self.low_hulls(V::BITS - k))
    }

    /// Meets the ranges with `lows << k`, where `lows` are the hulls of the bits that survive.
    pub fn with_low_bits(mut self, k: u32, lows: ((u128, u128), (i128, i128))) -> Self {
        let ((ul, uh), (sl, sh)) = lows;
        if let Some(u) = URange::new(V::from_u128(ul << k), V::from_u128(uh << k)) {
            self.u = meet_u(self.u, u);
        }
        if let Some(s) = SRange::new(V::from_i128(sl << k), V::from_i128(sh << k)) {
            self.s = meet_s(self.s, s);
        }
        self
    }

    /// Unsigned and signed hulls of the low `bits` bits (`1 <= bits <= BITS`), from both ranges.
    pub fn low_hulls(self, bits: u32) -> ((u128, u128), (i128, i128)) {
        let (u1, s1) = low_bits_hulls(self.u.lo(), uspan(self.u), bits);
        let (u2, s2) = low_bits_hulls(self.s.lo(), sspan(self.s), bits);
        let u = (u1.0.max(u2.0), u1.1.min(u2.1));
        let s = (s1.0.max(s2.0), s1.1.min(s2.1));
        (
            if u.0 <= u.1 { u } else { u1 },
            if s.0 <= s.1 { s } else { s1 },
        )
    }

    /// Logical `a >> k` for a known `k < BITS`.
    pub fn lshr_const(self, k: u32) -> Self {
        let (lo, hi) = (self.u.lo().shr(k), self.u.hi().shr(k));
        let au = arc_hulls(lo, hi.to_u128() - lo.to_u128());
        // Within each half of the signed range's unsigned pieces the shift is monotone; a signed
        // range that does not cross zero is one unsigned piece.
        let as_ = if self.s.lo() <= self.s.hi() {
            let (l, h) = (self.s.lo().shr(k), self.s.hi().shr(k));
            arc_hulls(l, h.to_u128() - l.to_u128())
        } else {
            (URange::full(), SRange::full())
        };
        Self::from_arcs(self.t.lshr(k), au, as_)
    }

    /// Arithmetic `a >> k` for a known `k < BITS`.
    pub fn ashr_const(self, k: u32) -> Self {
        let (lo, hi) = (self.s.lo().sar(k), self.s.hi().sar(k));
        let as_ = arc_hulls(lo, (hi.to_i128() - lo.to_i128()) as u128);
        let au = if self.u.lo().sle(self.u.hi()) {
            let (l, h) = (self.u.lo().sar(k), self.u.hi().sar(k));
            arc_hulls(l, (h.to_i128() - l.to_i128()) as u128)
        } else {
            (URange::full(), SRange::full())
        };
        Self::from_arcs(self.t.ashr(k), au, as_)
    }

    /// Joins `f(k)` over every shift amount `k` in the bit set `amounts`.
    pub fn shift_by(self, amounts: u64, f: impl Fn(Self, u32) -> Self) -> Self {
        let mut res: Option<Self> = None;
        let mut rest = amounts;
        while rest != 0 {
            let k = rest.trailing_zeros();
            rest &= rest - 1;
            let r = f(self, k);
            res = Some(res.map_or(r, |acc| acc.join(r)));
        }
        res.unwrap_or_else(Self::top)
    }

    /// Unsigned division with BPF semantics (`x / 0 = 0`).
    pub fn udiv(self, o: Self) -> Self {
        let (dlo, dhi) = (o.u.lo(), o.u.hi());
        if dhi == V::ZERO {
            return Self::constant(V::ZERO);
        }
        let nz_lo = dlo.max(V::ONE);
        let q_lo = if dlo == V::ZERO {
            V::ZERO
        } else {
            V::from_u128(self.u.lo().to_u128() / dhi.to_u128())
        };
        let q_hi = V::from_u128(self.u.hi().to_u128() / nz_lo.to_u128());
        let u = URange::new(q_lo, q_hi).unwrap_or_else(URange::full);
        // Division by a known power of two is a logical shift.
        let t = match o.t.is_const() {
            Some(d) if d != V::ZERO && d.count_ones() == 1 => self.t.lshr(d.trailing_zeros()),
            _ => Tnum::range(q_lo, q_hi),
        };
        let au = arc_hulls(q_lo, q_hi.to_u128() - q_lo.to_u128());
        Parts { t, u, s: au.1 }
    }

    /// Whether `a % b` (unsigned) is `a` for every pair of members.
    pub fn umod_is_identity(self, o: Self) -> bool {
        o.u.hi() == V::ZERO || self.u.hi() < o.u.lo()
    }

    /// Whether `a % b` (signed) is `a` for every pair: every non-zero divisor exceeds every dividend
    /// in absolute value.
    pub fn smod_is_identity(self, o: Self) -> bool {
        let (n1, n2) = (self.s.lo().to_i128(), self.s.hi().to_i128());
        let (d1, d2) = (o.s.lo().to_i128(), o.s.hi().to_i128());
        let mut min_abs = i128::MAX;
        for (e1, e2) in [(d1, d2.min(-1)), (d1.max(1), d2)] {
            if e1 <= e2 {
                min_abs = min_abs.min(e1.abs().min(e2.abs()));
            }
        }
        -min_abs < n1 && n2 < min_abs
    }

    /// Unsigned remainder with BPF semantics (`x % 0 = x`).
    pub fn umod(self, o: Self) -> Self {
        let (dlo, dhi) = (o.u.lo(), o.u.hi());
        if dhi == V::ZERO {
            return self;
        }
        let nz_lo = dlo.max(V::ONE);
        if self.u.hi() < nz_lo {
            // Every non-zero divisor exceeds every dividend, and `x % 0 = x`: unchanged.
            return self;
        }
        let r_hi = self.u.hi().min(dhi.wrapping_sub(V::ONE));
        let hi = if dlo == V::ZERO { self.u.hi() } else { r_hi };
        let u = URange::new(V::ZERO, hi).unwrap_or_else(URange::full);
        let t = match o.t.is_const() {
            Some(d) if d != V::ZERO && d.count_ones() == 1 => self.t.trunc(d.trailing_zeros()),
            _ => Tnum::range(V::ZERO, hi),
        };
        let mut res = Parts {
            t,
            u,
            s: arc_hulls(V::ZERO, hi.to_u128()).1,
        };
        if dlo == V::ZERO {
            res = res.join(self);
        }
        res
    }

    /// Signed division with BPF semantics (`x / 0 = 0`, `S_MIN / -1 = S_MIN`), truncating.
    pub fn sdiv(self, o: Self) -> Self {
        let (n1, n2) = (self.s.lo().to_i128(), self.s.hi().to_i128());
        let (d1, d2) = (o.s.lo().to_i128(), o.s.hi().to_i128());
        let mut lo = i128::MAX;
        let mut hi = i128::MIN;
        let mut add = |q: i128| {
            lo = lo.min(q);
            hi = hi.max(q);
        };
        if d1 <= 0 && 0 <= d2 {
            add(0);
        }
        // With a divisor of constant sign, n / d is monotone in each argument: corners suffice.
        for (e1, e2) in [(d1, d2.min(-1)), (d1.max(1), d2)] {
            if e1 <= e2 {
                for n in [n1, n2] {
                    for d in [e1, e2] {
                        add(n / d);
                    }
                }
            }
        }
        // `S_MIN / -1` is `-S_MIN` as an integer, which the arc wraps to `S_MIN`.
        let as_ = arc_i::<V>(lo, (hi - lo) as u128);
        let t = Tnum::range(as_.0.lo(), as_.0.hi());
        Parts {
            t,
            u: as_.0,
            s: as_.1,
        }
    }

    /// Signed remainder with BPF semantics (`x % 0 = x`, sign of the dividend, `S_MIN % -1 = 0`).
    pub fn smod(self, o: Self) -> Self {
        let (n1, n2) = (self.s.lo().to_i128(), self.s.hi().to_i128());
        let (d1, d2) = (o.s.lo().to_i128(), o.s.hi().to_i128());
        let may_zero = d1 <= 0 && 0 <= d2;
        if d1 == 0 && d2 == 0 {
            return self;
        }
        // Smallest and largest |d| over non-zero divisors.
        let mut min_abs = i128::MAX;
        let mut max_abs = 0i128;
        for (e1, e2) in [(d1, d2.min(-1)), (d1.max(1), d2)] {
            if e1 <= e2 {
                let (a, b) = (e1.abs(), e2.abs());
                min_abs = min_abs.min(a.min(b));
                max_abs = max_abs.max(a.max(b));
            }
        }
        if -min_abs < n1 && n2 < min_abs {
            return self;
        }
        let m = max_abs - 1;
        let lo = if n1 >= 0 { 0 } else { n1.max(-m) };
        let hi = if n2 <= 0 { 0 } else { n2.min(m) };
        let as_ = arc_i::<V>(lo, (hi - lo) as u128);
        let mut res = Parts {
            t: Tnum::range(as_.0.lo(), as_.0.hi()),
            u: as_.0,
            s: as_.1,
        };
        if may_zero {
            res = res.join(self);
        }
        res
    }

    /// The singleton `{v}`.
    #[inline]
    pub fn constant(v: V) -> Self {
        Parts {
            t: Tnum::constant(v),
            u: URange::constant(v),
            s: SRange::constant(v),
        }
    }

    /// Keeps the low `bits` bits (zero-extends them): `bits >= BITS` is the identity.
    pub fn trunc(self, bits: u32) -> Self {
        if bits >= V::BITS {
            return self;
        }
        let (lu, _) = low_bits_hulls(self.u.lo(), uspan(self.u), bits);
        let (lu2, _) = low_bits_hulls(self.s.lo(), sspan(self.s), bits);
        let (lo, hi) = (lu.0.max(lu2.0), lu.1.min(lu2.1));
        let (lo, hi) = if lo <= hi { (lo, hi) } else { lu };
        let (u, s) = arc_hulls(V::from_u128(lo), hi - lo);
        Parts {
            t: self.t.trunc(bits),
            u,
            s,
        }
    }

    /// Sign-extends the low `bits` bits: `bits >= BITS` is the identity.
    pub fn sext(self, bits: u32) -> Self {
        if bits >= V::BITS {
            return self;
        }
        let (_, ls) = low_bits_hulls(self.u.lo(), uspan(self.u), bits);
        let (_, ls2) = low_bits_hulls(self.s.lo(), sspan(self.s), bits);
        let (lo, hi) = (ls.0.max(ls2.0), ls.1.min(ls2.1));
        let (lo, hi) = if lo <= hi { (lo, hi) } else { ls };
        let (u, s) = arc_i::<V>(lo, (hi - lo) as u128);
        Parts {
            t: self.t.sext(bits),
            u,
            s,
        }
    }
}

/// For the values `start, start+1, ..., start+len` (a full-width interval), the unsigned and the
/// signed hull of their low `bits` bits, as integers (`[0, 2^bits)` and `[-2^(bits-1), 2^(bits-1))`).
fn low_bits_hulls<V: Word>(start: V, len: u128, bits: u32) -> ((u128, u128), (i128, i128)) {
    let m = (1u128 << bits) - 1;
    let half = 1i128 << (bits - 1);
    let full = ((0, m), (-half, half - 1));
    if len >= m {
        return full;
    }
    let a = start.to_u128() & m;
    let b = (a + len) & m;
    let u = if a <= b { (a, b) } else { full.0 };
    let sx = |x: u128| {
        if x as i128 >= half {
            x as i128 - (1i128 << bits)
        } else {
            x as i128
        }
    };
    let s = if sx(a) <= sx(b) {
        (sx(a), sx(b))
    } else {
        full.1
    };
    (u, s)
}
