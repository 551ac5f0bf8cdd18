//! An independent, test-only model of what the Linux verifier computes for scalar registers.
//!
//! Written from the documented behaviour of `kernel/bpf/tnum.c` and the scalar parts of
//! `kernel/bpf/verifier.c` (bpf-next, early 2026: `tnum_mul` with `tnum_union`, `tnum_overlap` in
//! `is_branch_taken`, add/sub keeping wrapped bounds when both ends overflow, constant-divisor
//! div/mod tracking, constant-amount shifts, tnum byte swaps, three rounds of `__reg_deduce_bounds`).
//! No kernel code is copied. The model does not share code with the crate: it works on plain
//! `u128`/`i128` numbers of `bits` bits, with a sub-register of `bits / 2` bits, so it runs at the
//! same small widths as the crate's exhaustive tests.
//!
//! Deliberate simplifications, each making the model *more* precise than the kernel (so the
//! comparison is stricter): registers are never pointers, scalar ids and precision marks are
//! ignored, and a branch whose refined bounds are inconsistent is treated as dead (empty) rather than
//! reset to unbounded as `reg_bounds_sanity_check` does.
#![allow(
    dead_code,
    reason = "shared between the tests and the precision example"
)]

/// Width parameters: full bits and half (sub-register) bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bits {
    pub full: u32,
    pub half: u32,
}

impl Bits {
    pub fn new(full: u32) -> Self {
        Bits {
            full,
            half: full / 2,
        }
    }
    fn umax(self) -> u128 {
        mask(self.full)
    }
    fn smin(self) -> i128 {
        -(1i128 << (self.full - 1))
    }
    fn smax(self) -> i128 {
        (1i128 << (self.full - 1)) - 1
    }
    fn u32max(self) -> u128 {
        mask(self.half)
    }
    fn s32min(self) -> i128 {
        -(1i128 << (self.half - 1))
    }
    fn s32max(self) -> i128 {
        (1i128 << (self.half - 1)) - 1
    }
}

pub fn mask(bits: u32) -> u128 {
    if bits >= 128 {
        u128::MAX
    } else {
        (1u128 << bits) - 1
    }
}

/// Two's-complement reading of a `bits`-bit pattern.
pub fn sx(x: u128, bits: u32) -> i128 {
    let x = x & mask(bits);
    if x >> (bits - 1) & 1 == 1 {
        x as i128 - (1i128 << bits)
    } else {
        x as i128
    }
}

/// Bit pattern of a signed number, `bits` wide.
pub fn ux(x: i128, bits: u32) -> u128 {
    (x as u128) & mask(bits)
}

/// Kernel `struct tnum` at `bits` bits.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KTnum {
    pub v: u128,
    pub m: u128,
}

impl KTnum {
    pub fn konst(v: u128) -> Self {
        KTnum { v, m: 0 }
    }
    pub fn unknown(b: u32) -> Self {
        KTnum { v: 0, m: mask(b) }
    }
    pub fn range(min: u128, max: u128, b: u32) -> Self {
        let chi = min ^ max;
        let bits = 128 - chi.leading_zeros();
        if bits > b - 1 {
            return Self::unknown(b);
        }
        let delta = mask(bits);
        KTnum {
            v: min & !delta,
            m: delta,
        }
    }
    pub fn is_const(self) -> bool {
        self.m == 0
    }
    pub fn add(self, o: Self, b: u32) -> Self {
        let sm = self.m + o.m;
        let sv = self.v + o.v;
        let sigma = sm + sv;
        let chi = (sigma ^ sv) & mask(b);
        let mu = chi | self.m | o.m;
        KTnum {
            v: sv & !mu & mask(b),
            m: mu,
        }
    }
    pub fn sub(self, o: Self, b: u32) -> Self {
        let dv = self.v.wrapping_sub(o.v) & mask(b);
        let alpha = (dv + self.m) & mask(b);
        let beta = dv.wrapping_sub(o.m) & mask(b);
        let mu = (alpha ^ beta) | self.m | o.m;
        KTnum { v: dv & !mu, m: mu }
    }
    pub fn neg(self, b: u32) -> Self {
        KTnum::konst(0).sub(self, b)
    }
    pub fn and(self, o: Self) -> Self {
        let alpha = self.v | self.m;
        let beta = o.v | o.m;
        let v = self.v & o.v;
        KTnum {
            v,
            m: alpha & beta & !v,
        }
    }
    pub fn or(self, o: Self) -> Self {
        let v = self.v | o.v;
        KTnum {
            v,
            m: (self.m | o.m) & !v,
        }
    }
    pub fn xor(self, o: Self) -> Self {
        let mu = self.m | o.m;
        KTnum {
            v: (self.v ^ o.v) & !mu,
            m: mu,
        }
    }
    pub fn union(self, o: Self) -> Self {
        let mu = (self.v ^ o.v) | self.m | o.m;
        KTnum {
            v: self.v & o.v & !mu,
            m: mu,
        }
    }
    /// Long multiplication with a union for unknown multiplier bits (current `tnum_mul`).
    pub fn mul(self, o: Self, b: u32) -> Self {
        let (mut a, mut bb) = (self, o);
        let mut acc = KTnum::konst(0);
        while a.v != 0 || a.m != 0 {
            if a.v & 1 == 1 {
                acc = acc.add(bb, b);
            } else if a.m & 1 == 1 {
                acc = acc.union(acc.add(bb, b));
            }
            a = a.rshift(1);
            bb = bb.lshift(1, b);
        }
        acc
    }
    pub fn lshift(self, k: u32, b: u32) -> Self {
        KTnum {
            v: (self.v << k) & mask(b),
            m: (self.m << k) & mask(b),
        }
    }
    pub fn rshift(self, k: u32) -> Self {
        KTnum {
            v: self.v >> k,
            m: self.m >> k,
        }
    }
    /// Arithmetic shift within `b` bits.
    pub fn arshift(self, k: u32, b: u32) -> Self {
        KTnum {
            v: ux(sx(self.v, b) >> k, b),
            m: ux(sx(self.m, b) >> k, b),
        }
    }
    pub fn intersect(self, o: Self) -> Self {
        let v = self.v | o.v;
        let mu = self.m & o.m;
        KTnum { v: v & !mu, m: mu }
    }
    pub fn cast(self, bits: u32) -> Self {
        KTnum {
            v: self.v & mask(bits),
            m: self.m & mask(bits),
        }
    }
    pub fn overlap(self, o: Self) -> bool {
        let mu = !self.m & !o.m;
        self.v & mu == o.v & mu
    }
    pub fn contains(self, x: u128) -> bool {
        x & !self.m == self.v
    }
    pub fn bswap(self, bytes: u32) -> Self {
        let sw = |x: u128| {
            (0..bytes).fold(0u128, |acc, i| {
                acc | ((x >> (8 * i)) & 0xff) << (8 * (bytes - 1 - i))
            })
        };
        KTnum {
            v: sw(self.v),
            m: sw(self.m),
        }
    }
}

/// Kernel `struct bpf_reg_state`, scalar part.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KReg {
    pub b: Bits,
    pub var_off: KTnum,
    pub umin: u128,
    pub umax: u128,
    pub smin: i128,
    pub smax: i128,
    pub u32_min: u128,
    pub u32_max: u128,
    pub s32_min: i128,
    pub s32_max: i128,
}

impl KReg {
    pub fn unknown(b: Bits) -> Self {
        KReg {
            b,
            var_off: KTnum::unknown(b.full),
            umin: 0,
            umax: b.umax(),
            smin: b.smin(),
            smax: b.smax(),
            u32_min: 0,
            u32_max: b.u32max(),
            s32_min: b.s32min(),
            s32_max: b.s32max(),
        }
    }

    pub fn known(b: Bits, v: u128) -> Self {
        let v = v & b.umax();
        let lo = v & b.u32max();
        KReg {
            b,
            var_off: KTnum::konst(v),
            umin: v,
            umax: v,
            smin: sx(v, b.full),
            smax: sx(v, b.full),
            u32_min: lo,
            u32_max: lo,
            s32_min: sx(lo, b.half),
            s32_max: sx(lo, b.half),
        }
    }

    /// γ-membership; an inconsistent state (a bound crossed over) has no members.
    pub fn contains(&self, x: u128) -> bool {
        let lo = x & self.b.u32max();
        self.var_off.contains(x)
            && self.umin <= x
            && x <= self.umax
            && self.smin <= sx(x, self.b.full)
            && sx(x, self.b.full) <= self.smax
            && self.u32_min <= lo
            && lo <= self.u32_max
            && self.s32_min <= sx(lo, self.b.half)
            && sx(lo, self.b.half) <= self.s32_max
    }

    fn subreg(&self) -> KTnum {
        self.var_off.cast(self.b.half)
    }
    fn clear_subreg(t: KTnum, b: Bits) -> KTnum {
        t.rshift(b.half).lshift(b.half, b.full)
    }
    fn with_subreg(t: KTnum, sub: KTnum, b: Bits) -> KTnum {
        Self::clear_subreg(t, b).or(sub.cast(b.half))
    }

    fn mark64_unbounded(&mut self) {
        self.umin = 0;
        self.umax = self.b.umax();
        self.smin = self.b.smin();
        self.smax = self.b.smax();
    }
    fn mark32_unbounded(&mut self) {
        self.u32_min = 0;
        self.u32_max = self.b.u32max();
        self.s32_min = self.b.s32min();
        self.s32_max = self.b.s32max();
    }
    pub fn mark32_known(&mut self, v: u128) {
        let v = v & self.b.u32max();
        self.var_off = Self::with_subreg(self.var_off, KTnum::konst(v), self.b);
        self.u32_min = v;
        self.u32_max = v;
        self.s32_min = sx(v, self.b.half);
        self.s32_max = sx(v, self.b.half);
    }

    // ----- reg_bounds_sync -----

    fn update_bounds(&mut self) {
        let (b, h) = (self.b.full, self.b.half);
        let t32 = self.subreg();
        self.s32_min = self.s32_min.max(sx(t32.v | (t32.m & (1 << (h - 1))), h));
        self.s32_max = self.s32_max.min(sx(t32.v | (t32.m & mask(h - 1)), h));
        self.u32_min = self.u32_min.max(t32.v);
        self.u32_max = self.u32_max.min(t32.v | t32.m);
        let t = self.var_off;
        self.smin = self.smin.max(sx(t.v | (t.m & (1 << (b - 1))), b));
        self.smax = self.smax.min(sx(t.v | (t.m & mask(b - 1)), b));
        self.umin = self.umin.max(t.v);
        self.umax = self.umax.min(t.v | t.m);
    }

    fn deduce32(&mut self) {
        let (b, h) = (self.b.full, self.b.half);
        let lo = |x: u128| x & mask(h);
        let slo = |x: u128| sx(x, h);
        if self.umin >> h == self.umax >> h {
            self.u32_min = self.u32_min.max(lo(self.umin));
            self.u32_max = self.u32_max.min(lo(self.umax));
            if slo(self.umin) <= slo(self.umax) {
                self.s32_min = self.s32_min.max(slo(self.umin));
                self.s32_max = self.s32_max.min(slo(self.umax));
            }
        }
        let (smin_u, smax_u) = (ux(self.smin, b), ux(self.smax, b));
        if self.smin >> h == self.smax >> h {
            if lo(smin_u) <= lo(smax_u) {
                self.u32_min = self.u32_min.max(lo(smin_u));
                self.u32_max = self.u32_max.min(lo(smax_u));
            }
            if slo(smin_u) <= slo(smax_u) {
                self.s32_min = self.s32_min.max(slo(smin_u));
                self.s32_max = self.s32_max.min(slo(smax_u));
            }
        }
        let hi32 = |x: u128| (x >> h) & mask(h);
        if (hi32(self.umin) + 1) & mask(h) == hi32(self.umax)
            && slo(self.umin) < 0
            && slo(self.umax) >= 0
        {
            self.s32_min = self.s32_min.max(slo(self.umin));
            self.s32_max = self.s32_max.min(slo(self.umax));
        }
        if (hi32(smin_u) + 1) & mask(h) == hi32(smax_u) && slo(smin_u) < 0 && slo(smax_u) >= 0 {
            self.s32_min = self.s32_min.max(slo(smin_u));
            self.s32_max = self.s32_max.min(slo(smax_u));
        }
        if sx(self.u32_min, h) <= sx(self.u32_max, h) {
            self.s32_min = self.s32_min.max(sx(self.u32_min, h));
            self.s32_max = self.s32_max.min(sx(self.u32_max, h));
        }
        if ux(self.s32_min, h) <= ux(self.s32_max, h) {
            self.u32_min = self.u32_min.max(ux(self.s32_min, h));
            self.u32_max = self.u32_max.min(ux(self.s32_max, h));
        }
    }

    fn deduce64(&mut self) {
        let b = self.b.full;
        if sx(self.umin, b) <= sx(self.umax, b) {
            self.smin = self.smin.max(sx(self.umin, b));
            self.smax = self.smax.min(sx(self.umax, b));
        }
        let (smin_u, smax_u) = (ux(self.smin, b), ux(self.smax, b));
        if smin_u <= smax_u {
            self.umin = self.umin.max(smin_u);
            self.umax = self.umax.min(smax_u);
        } else if self.umax < smin_u {
            self.smin = sx(self.umin, b);
            self.umax = self.umax.min(smax_u);
        } else if smax_u < self.umin {
            self.smax = sx(self.umax, b);
            self.umin = self.umin.max(smin_u);
        }
    }

    fn deduce_mixed(&mut self) {
        let (b, h) = (self.b.full, self.b.half);
        let hi_mask = mask(b) & !mask(h);
        let new_umin = (self.umin & hi_mask) | self.u32_min;
        let new_umax = (self.umax & hi_mask) | self.u32_max;
        self.umin = self.umin.max(new_umin);
        self.umax = self.umax.min(new_umax);
        let new_smin = sx((ux(self.smin, b) & hi_mask) | self.u32_min, b);
        let new_smax = sx((ux(self.smax, b) & hi_mask) | self.u32_max, b);
        self.smin = self.smin.max(new_smin);
        self.smax = self.smax.min(new_smax);
        if self.s32_min >= 0 && self.smin >= self.b.s32min() && self.smax <= self.b.s32max() {
            self.smin = self.s32_min;
            self.smax = self.s32_max;
            self.umin = ux(self.s32_min, b);
            self.umax = ux(self.s32_max, b);
            self.var_off =
                self.var_off
                    .intersect(KTnum::range(ux(self.smin, b), ux(self.smax, b), b));
        }
    }

    fn bound_offset(&mut self) {
        let (b, h) = (self.b.full, self.b.half);
        let v64 = self
            .var_off
            .intersect(KTnum::range(self.umin, self.umax, b));
        let v32 = v64
            .cast(h)
            .intersect(KTnum::range(self.u32_min, self.u32_max, h));
        self.var_off = Self::clear_subreg(v64, self.b).or(v32);
    }

    /// `reg_bounds_sync`.
    pub fn sync(&mut self) {
        self.update_bounds();
        for _ in 0..3 {
            self.deduce32();
            self.deduce64();
            self.deduce_mixed();
        }
        self.bound_offset();
        self.update_bounds();
    }

    /// Whether the state is a valid kernel state (no crossed bounds).
    pub fn is_valid(&self) -> bool {
        self.umin <= self.umax
            && self.smin <= self.smax
            && self.u32_min <= self.u32_max
            && self.s32_min <= self.s32_max
    }
}
