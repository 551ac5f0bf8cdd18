//! The kernel model's ALU (`adjust_scalar_min_max_vals` and the `scalar*_min_max_*` helpers) and
//! branch logic (`is_scalar_branch_taken`, `regs_refine_cond_op`, `reg_set_min_max`).
//! Own code from the documented behaviour; see `model.rs` for the scope.
#![allow(
    dead_code,
    reason = "shared between the tests and the precision example"
)]

use super::model::{mask, sx, ux, Bits, KReg, KTnum};

/// Binary operators, as the crate's `AluOp`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KOp {
    Add,
    Sub,
    Mul,
    Div,
    SDiv,
    Mod,
    SMod,
    And,
    Or,
    Xor,
    Lsh,
    Rsh,
    Arsh,
}

/// Jump conditions, plus the kernel's internal "JSET not taken".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KJmp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
    SGt,
    SGe,
    SLt,
    SLe,
    Set,
    SetRev,
}

fn u_add_overflows(a: u128, b: u128, bits: u32) -> (u128, bool) {
    let r = a + b;
    (r & mask(bits), r > mask(bits))
}

fn s_fits(x: i128, bits: u32) -> bool {
    -(1i128 << (bits - 1)) <= x && x < (1i128 << (bits - 1))
}

// ----- 32-bit and 64-bit range helpers, written once over a "view" of the register -----

/// One width's bounds (`u*_min/max`, `s*_min/max`) borrowed out of a register.
struct View {
    bits: u32,
    umin: u128,
    umax: u128,
    smin: i128,
    smax: i128,
}

fn view(r: &KReg, w32: bool) -> View {
    if w32 {
        View {
            bits: r.b.half,
            umin: r.u32_min,
            umax: r.u32_max,
            smin: r.s32_min,
            smax: r.s32_max,
        }
    } else {
        View {
            bits: r.b.full,
            umin: r.umin,
            umax: r.umax,
            smin: r.smin,
            smax: r.smax,
        }
    }
}

fn store(r: &mut KReg, w32: bool, v: &View) {
    if w32 {
        (r.u32_min, r.u32_max, r.s32_min, r.s32_max) = (v.umin, v.umax, v.smin, v.smax);
    } else {
        (r.umin, r.umax, r.smin, r.smax) = (v.umin, v.umax, v.smin, v.smax);
    }
}

fn smin_of(bits: u32) -> i128 {
    -(1i128 << (bits - 1))
}
fn smax_of(bits: u32) -> i128 {
    (1i128 << (bits - 1)) - 1
}

fn minmax_add(d: &mut View, s: &View) {
    let b = d.bits;
    let (lo, hi) = (d.smin + s.smin, d.smax + s.smax);
    if s_fits(lo, b) && s_fits(hi, b) {
        (d.smin, d.smax) = (lo, hi);
    } else {
        (d.smin, d.smax) = (smin_of(b), smax_of(b));
    }
    let (ul, lo_over) = u_add_overflows(d.umin, s.umin, b);
    let (uh, hi_over) = u_add_overflows(d.umax, s.umax, b);
    (d.umin, d.umax) = (ul, uh);
    if !lo_over && hi_over {
        (d.umin, d.umax) = (0, mask(b));
    }
}

fn minmax_sub(d: &mut View, s: &View) {
    let b = d.bits;
    let (lo, hi) = (d.smin - s.smax, d.smax - s.smin);
    if s_fits(lo, b) && s_fits(hi, b) {
        (d.smin, d.smax) = (lo, hi);
    } else {
        (d.smin, d.smax) = (smin_of(b), smax_of(b));
    }
    let lo_under = d.umin < s.umax;
    let hi_under = d.umax < s.umin;
    d.umin = d.umin.wrapping_sub(s.umax) & mask(b);
    d.umax = d.umax.wrapping_sub(s.umin) & mask(b);
    if lo_under && !hi_under {
        (d.umin, d.umax) = (0, mask(b));
    }
}

fn minmax_mul(d: &mut View, s: &View) {
    let b = d.bits;
    let (ph, pl) = (d.umax * s.umax, d.umin * s.umin);
    if ph > mask(b) || pl > mask(b) {
        (d.umin, d.umax) = (0, mask(b));
    } else {
        (d.umin, d.umax) = (pl, ph);
    }
    let ps = [
        d.smin * s.smin,
        d.smin * s.smax,
        d.smax * s.smin,
        d.smax * s.smax,
    ];
    if ps.iter().all(|&p| s_fits(p, b)) {
        d.smin = *ps.iter().min().unwrap();
        d.smax = *ps.iter().max().unwrap();
    } else {
        (d.smin, d.smax) = (smin_of(b), smax_of(b));
    }
}

/// `scalar*_min_max_and/or/xor`: bounds from the (already updated) tnum of that width.
fn minmax_bitwise(
    op: KOp,
    d: &mut View,
    s: &View,
    t: KTnum,
    src_known: bool,
    dst_known: bool,
) -> bool {
    let b = d.bits;
    if src_known && dst_known {
        return true; // caller marks known
    }
    match op {
        KOp::And => {
            d.umin = t.v;
            d.umax = d.umax.min(s.umax);
        }
        KOp::Or => {
            d.umin = d.umin.max(s.umin);
            d.umax = t.v | t.m;
        }
        _ => {
            d.umin = t.v;
            d.umax = t.v | t.m;
        }
    }
    if sx(d.umin, b) <= sx(d.umax, b) {
        d.smin = sx(d.umin, b);
        d.smax = sx(d.umax, b);
    } else {
        (d.smin, d.smax) = (smin_of(b), smax_of(b));
    }
    false
}

impl KReg {
    fn reset_tnum_and_other(&mut self, keep32: bool) {
        if keep32 {
            self.umin = 0;
            self.umax = mask(self.b.full);
            self.smin = smin_of(self.b.full);
            self.smax = smax_of(self.b.full);
        } else {
            self.u32_min = 0;
            self.u32_max = mask(self.b.half);
            self.s32_min = smin_of(self.b.half);
            self.s32_max = smax_of(self.b.half);
        }
        self.var_off = KTnum::unknown(self.b.full);
    }

    fn update32_only(&mut self) {
        let h = self.b.half;
        let t32 = self.var_off.cast(h);
        self.s32_min = self.s32_min.max(sx(t32.v | (t32.m & (1 << (h - 1))), h));
        self.s32_max = self.s32_max.min(sx(t32.v | (t32.m & mask(h - 1)), h));
        self.u32_min = self.u32_min.max(t32.v);
        self.u32_max = self.u32_max.min(t32.v | t32.m);
    }

    fn update64_only(&mut self) {
        let b = self.b.full;
        let t = self.var_off;
        self.smin = self.smin.max(sx(t.v | (t.m & (1 << (b - 1))), b));
        self.smax = self.smax.min(sx(t.v | (t.m & mask(b - 1)), b));
        self.umin = self.umin.max(t.v);
        self.umax = self.umax.min(t.v | t.m);
    }

    fn zext_32_to_64(&mut self) {
        self.var_off = self.var_off.cast(self.b.half);
        self.umin = self.u32_min;
        self.umax = self.u32_max;
        if self.s32_min >= 0 && self.s32_max >= 0 {
            self.smin = self.s32_min;
            self.smax = self.s32_max;
        } else {
            self.smin = 0;
            self.smax = mask(self.b.half) as i128;
        }
    }

    /// `adjust_scalar_min_max_vals` for a binary operator; `alu32` for the 32-bit class.
    pub fn alu(mut self, op: KOp, alu32: bool, src: KReg) -> KReg {
        let b = self.b;
        let bits = if alu32 { b.half } else { b.full };
        let src_const = if alu32 {
            src.var_off.cast(b.half).is_const()
                && src.s32_min == src.s32_max
                && src.u32_min == src.u32_max
        } else {
            src.var_off.is_const() && src.smin == src.smax && src.umin == src.umax
        };
        let safe = match op {
            KOp::Div | KOp::SDiv | KOp::Mod | KOp::SMod => src_const,
            KOp::Lsh | KOp::Rsh | KOp::Arsh => src_const && src.umax < u128::from(bits),
            _ => true,
        };
        if !safe {
            return KReg::unknown(b);
        }
        let (sv64, sv32) = (view(&src, false), view(&src, true));
        match op {
            KOp::Add | KOp::Sub => {
                for w32 in [true, false] {
                    let mut d = view(&self, w32);
                    let s = if w32 { &sv32 } else { &sv64 };
                    if op == KOp::Add {
                        minmax_add(&mut d, s);
                    } else {
                        minmax_sub(&mut d, s);
                    }
                    store(&mut self, w32, &d);
                }
                self.var_off = if op == KOp::Add {
                    self.var_off.add(src.var_off, b.full)
                } else {
                    self.var_off.sub(src.var_off, b.full)
                };
            }
            KOp::Mul => {
                self.var_off = self.var_off.mul(src.var_off, b.full);
                for w32 in [true, false] {
                    let mut d = view(&self, w32);
                    minmax_mul(&mut d, if w32 { &sv32 } else { &sv64 });
                    store(&mut self, w32, &d);
                }
            }
            KOp::Div | KOp::Mod | KOp::SDiv | KOp::SMod => {
                let zero = if alu32 {
                    src.u32_min == 0
                } else {
                    src.umin == 0
                };
                if zero {
                    if op == KOp::Div || op == KOp::SDiv {
                        self = KReg::known(b, 0);
                    }
                } else {
                    self.divmod(op, alu32, &src);
                }
            }
            KOp::And | KOp::Or | KOp::Xor => {
                self.var_off = match op {
                    KOp::And => self.var_off.and(src.var_off),
                    KOp::Or => self.var_off.or(src.var_off),
                    _ => self.var_off.xor(src.var_off),
                };
                for w32 in [true, false] {
                    let t = if w32 {
                        self.var_off.cast(b.half)
                    } else {
                        self.var_off
                    };
                    // Like the kernel, "dst known" is read after the tnum update.
                    let (sk, dk) = if w32 {
                        (src.var_off.cast(b.half).is_const(), t.is_const())
                    } else {
                        (src.var_off.is_const(), t.is_const())
                    };
                    let mut d = view(&self, w32);
                    if minmax_bitwise(op, &mut d, if w32 { &sv32 } else { &sv64 }, t, sk, dk) {
                        if w32 {
                            self.mark32_known(t.v);
                        } else {
                            self = KReg::known(b, t.v);
                        }
                        continue;
                    }
                    store(&mut self, w32, &d);
                    if !w32 {
                        self.update64_only();
                        self.update32_only();
                    }
                }
            }
            KOp::Lsh | KOp::Rsh | KOp::Arsh => self.shift(op, alu32, &src),
        }
        if alu32 {
            self.zext_32_to_64();
        }
        self.sync();
        self
    }

    fn divmod(&mut self, op: KOp, alu32: bool, src: &KReg) {
        let b = self.b;
        let w = if alu32 { b.half } else { b.full };
        let mut d = view(self, alu32);
        let s = view(src, alu32);
        match op {
            KOp::Div => {
                let v = s.umin;
                d.umin /= v;
                d.umax /= v;
                (d.smin, d.smax) = (smin_of(w), smax_of(w));
                store(self, alu32, &d);
                self.reset_tnum_and_other(alu32);
            }
            KOp::SDiv => {
                let v = s.smin;
                if d.smin == smin_of(w) && v == -1 {
                    if d.smax != smin_of(w) {
                        (d.smin, d.smax) = (smin_of(w), smax_of(w));
                    }
                } else {
                    let (r1, r2) = (d.smin / v, d.smax / v);
                    (d.smin, d.smax) = (r1.min(r2), r1.max(r2));
                }
                (d.umin, d.umax) = (0, mask(w));
                store(self, alu32, &d);
                self.reset_tnum_and_other(alu32);
            }
            KOp::Mod => {
                let res_max = s.umin - 1;
                if d.umax <= res_max {
                    return;
                }
                d.umin = 0;
                d.umax = d.umax.min(res_max);
                (d.smin, d.smax) = (smin_of(w), smax_of(w));
                store(self, alu32, &d);
                self.reset_tnum_and_other(alu32);
            }
            _ => {
                let v = s.smin;
                let res_max_abs = v.abs() - 1;
                if d.smin >= -res_max_abs && d.smax <= res_max_abs {
                    return;
                }
                if d.smin >= 0 {
                    d.smin = 0;
                    d.smax = d.smax.min(res_max_abs);
                } else if d.smax <= 0 {
                    d.smax = 0;
                    d.smin = d.smin.max(-res_max_abs);
                } else {
                    d.smin = -res_max_abs;
                    d.smax = res_max_abs;
                }
                (d.umin, d.umax) = (0, mask(w));
                store(self, alu32, &d);
                self.reset_tnum_and_other(alu32);
            }
        }
    }

    fn shift(&mut self, op: KOp, alu32: bool, src: &KReg) {
        let b = self.b;
        let (h, f) = (b.half, b.full);
        if alu32 {
            let k = src.u32_min as u32;
            let sub = self.var_off.cast(h);
            match op {
                KOp::Lsh => {
                    self.lsh32_bounds(src.u32_min, src.u32_max);
                    self.var_off = sub.lshift(k, f).cast(h);
                }
                KOp::Rsh => {
                    self.s32_min = smin_of(h);
                    self.s32_max = smax_of(h);
                    self.var_off = sub.rshift(k);
                    self.u32_min >>= src.u32_max;
                    self.u32_max >>= src.u32_min;
                }
                _ => {
                    self.s32_min >>= k;
                    self.s32_max >>= k;
                    self.var_off = sub.arshift(k, h);
                    self.u32_min = 0;
                    self.u32_max = mask(h);
                }
            }
            self.umin = 0;
            self.umax = mask(f);
            self.smin = smin_of(f);
            self.smax = smax_of(f);
            self.update32_only();
        } else {
            let k = src.umin as u32;
            match op {
                KOp::Lsh => {
                    // The 64-bit part uses the unshifted 32-bit bounds, so it goes first.
                    if src.umin == u128::from(h) && src.umax == u128::from(h) {
                        self.smax = self.s32_max << h;
                        self.smin = self.s32_min << h;
                    } else {
                        self.smin = smin_of(f);
                        self.smax = smax_of(f);
                    }
                    if self.umax > 1u128 << (f - 1 - src.umax as u32) {
                        self.umin = 0;
                        self.umax = mask(f);
                    } else {
                        self.umin <<= src.umin;
                        self.umax <<= src.umax;
                    }
                    self.lsh32_bounds(src.umin, src.umax);
                    self.var_off = self.var_off.lshift(k, f);
                }
                KOp::Rsh => {
                    self.smin = smin_of(f);
                    self.smax = smax_of(f);
                    self.var_off = self.var_off.rshift(k);
                    self.umin >>= src.umax;
                    self.umax >>= src.umin;
                    self.mark32_unbounded_pub();
                }
                _ => {
                    self.smin >>= k;
                    self.smax >>= k;
                    self.var_off = self.var_off.arshift(k, f);
                    self.umin = 0;
                    self.umax = mask(f);
                    self.mark32_unbounded_pub();
                }
            }
            self.update32_only();
            self.update64_only();
        }
    }

    fn lsh32_bounds(&mut self, umin_val: u128, umax_val: u128) {
        let h = self.b.half;
        self.s32_min = smin_of(h);
        self.s32_max = smax_of(h);
        if umax_val > u128::from(h - 1) || self.u32_max > 1u128 << (h - 1 - umax_val as u32) {
            self.u32_min = 0;
            self.u32_max = mask(h);
        } else {
            self.u32_min <<= umin_val;
            self.u32_max <<= umax_val;
        }
    }

    fn mark32_unbounded_pub(&mut self) {
        self.u32_min = 0;
        self.u32_max = mask(self.b.half);
        self.s32_min = smin_of(self.b.half);
        self.s32_max = smax_of(self.b.half);
    }

    /// `BPF_NEG` (64-bit or 32-bit).
    pub fn neg(self, alu32: bool) -> KReg {
        let b = self.b;
        let fake = self;
        let mut r = KReg::known(b, 0);
        for w32 in [true, false] {
            let mut d = view(&r, w32);
            minmax_sub(&mut d, &view(&fake, w32));
            store(&mut r, w32, &d);
        }
        r.var_off = fake.var_off.neg(b.full);
        if alu32 {
            r.zext_32_to_64();
        }
        r.sync();
        r
    }

    /// `coerce_reg_to_size` with `bits` (8, 16, 32 at 64-bit widths).
    pub fn coerce_to_bits(mut self, bits: u32) -> KReg {
        self.var_off = self.var_off.cast(bits);
        let m = mask(bits);
        if self.umin & !m == self.umax & !m {
            self.umin &= m;
            self.umax &= m;
        } else {
            self.umin = 0;
            self.umax = m;
        }
        self.smin = self.umin as i128;
        self.smax = self.umax as i128;
        if bits < self.b.half {
            self.mark32_unbounded_pub();
        }
        self.sync();
        self
    }

    /// `BPF_END` as `scalar_byte_swap` does on a little-endian host: `swap` for `bswap` and `to_be`,
    /// truncation only for `to_le`.
    pub fn byte_swap(mut self, bits: u32, swap: bool) -> KReg {
        if swap {
            self.var_off = self.var_off.bswap(bits / 8);
            self.mark64_unbounded_pub();
            self.mark32_unbounded_pub();
        }
        if bits < self.b.full {
            self = self.coerce_to_bits(bits);
        }
        self.sync();
        self
    }

    fn mark64_unbounded_pub(&mut self) {
        self.umin = 0;
        self.umax = mask(self.b.full);
        self.smin = smin_of(self.b.full);
        self.smax = smax_of(self.b.full);
    }

    /// `coerce_reg_to_size_sx` (64-bit `movsx` / sign-extending load) from `bits` bits.
    pub fn sext64(mut self, bits: u32) -> KReg {
        let f = self.b.full;
        if self.var_off.is_const() {
            let v = ux(sx(self.var_off.v, bits), f);
            return KReg::known(self.b, v);
        }
        let top = |x: i128| (ux(x, f) >> bits) << bits;
        if top(self.smax) == top(self.smin) {
            let (a, c) = (sx(ux(self.smax, f), bits), sx(ux(self.smin, f), bits));
            let (lo, hi) = (a.min(c), a.max(c));
            if (hi >= 0) == (lo >= 0) {
                let h = self.b.half;
                self.smin = lo;
                self.smax = hi;
                self.s32_min = sx(ux(lo, f), h);
                self.s32_max = sx(ux(hi, f), h);
                self.umin = ux(lo, f);
                self.umax = ux(hi, f);
                self.u32_min = ux(lo, h);
                self.u32_max = ux(hi, h);
                self.var_off = KTnum::range(ux(lo, f), ux(hi, f), f);
                return self;
            }
        }
        // set_sext64_default_val
        let mut r = KReg::unknown(self.b);
        r.smin = smin_of(bits);
        r.smax = smax_of(bits);
        if bits <= self.b.half {
            r.s32_min = smin_of(bits);
            r.s32_max = smax_of(bits);
        }
        r
    }

    /// `is_scalar_branch_taken`: `Some(outcome)` or `None` (`-1`).
    pub fn branch_taken(&self, other: &KReg, op: KJmp, jmp32: bool) -> Option<bool> {
        let b = self.b;
        let (t1, t2) = if jmp32 {
            (self.var_off.cast(b.half), other.var_off.cast(b.half))
        } else {
            (self.var_off, other.var_off)
        };
        let (v1, v2) = (view(self, jmp32), view(other, jmp32));
        match op {
            KJmp::Eq | KJmp::Ne => {
                let ne = op == KJmp::Ne;
                if t1.is_const() && t2.is_const() {
                    return Some((t1.v == t2.v) != ne);
                }
                let disjoint = !t1.overlap(t2)
                    || v1.umin > v2.umax
                    || v1.umax < v2.umin
                    || v1.smin > v2.smax
                    || v1.smax < v2.smin
                    || (!jmp32
                        && (self.u32_min > other.u32_max
                            || self.u32_max < other.u32_min
                            || self.s32_min > other.s32_max
                            || self.s32_max < other.s32_min));
                if disjoint {
                    return Some(ne);
                }
                None
            }
            KJmp::Set | KJmp::SetRev => {
                let (t1, t2) = if t2.is_const() {
                    (t1, t2)
                } else if t1.is_const() {
                    (t2, t1)
                } else {
                    return None;
                };
                let r = if t1.v & t2.v != 0 {
                    Some(true)
                } else if (t1.m | t1.v) & t2.v == 0 {
                    Some(false)
                } else {
                    None
                };
                if op == KJmp::SetRev {
                    r.map(|x| !x)
                } else {
                    r
                }
            }
            KJmp::Gt => order(v1.umin > v2.umax, v1.umax <= v2.umin),
            KJmp::SGt => order(v1.smin > v2.smax, v1.smax <= v2.smin),
            KJmp::Lt => order(v1.umax < v2.umin, v1.umin >= v2.umax),
            KJmp::SLt => order(v1.smax < v2.smin, v1.smin >= v2.smax),
            KJmp::Ge => order(v1.umin >= v2.umax, v1.umax < v2.umin),
            KJmp::SGe => order(v1.smin >= v2.smax, v1.smax < v2.smin),
            KJmp::Le => order(v1.umax <= v2.umin, v1.umin > v2.umax),
            KJmp::SLe => order(v1.smax <= v2.smin, v1.smin > v2.smax),
        }
    }
}

fn order(yes: bool, no: bool) -> Option<bool> {
    if yes {
        Some(true)
    } else if no {
        Some(false)
    } else {
        None
    }
}

fn flip(op: KJmp) -> KJmp {
    match op {
        KJmp::Ge => KJmp::Le,
        KJmp::Gt => KJmp::Lt,
        KJmp::Le => KJmp::Ge,
        KJmp::Lt => KJmp::Gt,
        KJmp::SGe => KJmp::SLe,
        KJmp::SGt => KJmp::SLt,
        KJmp::SLe => KJmp::SGe,
        KJmp::SLt => KJmp::SGt,
        x => x,
    }
}

/// `rev_opcode`.
pub fn rev(op: KJmp) -> KJmp {
    match op {
        KJmp::Eq => KJmp::Ne,
        KJmp::Ne => KJmp::Eq,
        KJmp::Set => KJmp::SetRev,
        KJmp::SetRev => KJmp::Set,
        KJmp::Ge => KJmp::Lt,
        KJmp::Gt => KJmp::Le,
        KJmp::Le => KJmp::Gt,
        KJmp::Lt => KJmp::Ge,
        KJmp::SGe => KJmp::SLt,
        KJmp::SGt => KJmp::SLe,
        KJmp::SLe => KJmp::SGt,
        KJmp::SLt => KJmp::SGe,
    }
}

fn is_const(r: &KReg, jmp32: bool) -> Option<u128> {
    let t = if jmp32 {
        r.var_off.cast(r.b.half)
    } else {
        r.var_off
    };
    t.is_const().then_some(t.v)
}

/// `regs_refine_cond_op`.
fn refine_cond(r1: &mut KReg, r2: &mut KReg, op: KJmp, jmp32: bool) {
    let (mut r1, mut r2, mut op) = (r1, r2, op);
    if matches!(op, KJmp::Ge | KJmp::Gt | KJmp::SGe | KJmp::SGt) {
        op = flip(op);
        std::mem::swap(&mut r1, &mut r2);
    }
    let b = r1.b;
    let h = b.half;
    match op {
        KJmp::Eq => {
            if jmp32 {
                r1.u32_min = r1.u32_min.max(r2.u32_min);
                r1.u32_max = r1.u32_max.min(r2.u32_max);
                r1.s32_min = r1.s32_min.max(r2.s32_min);
                r1.s32_max = r1.s32_max.min(r2.s32_max);
                (r2.u32_min, r2.u32_max, r2.s32_min, r2.s32_max) =
                    (r1.u32_min, r1.u32_max, r1.s32_min, r1.s32_max);
                let t = r1.var_off.cast(h).intersect(r2.var_off.cast(h));
                r1.var_off = with_sub(r1.var_off, t, b);
                r2.var_off = with_sub(r2.var_off, t, b);
            } else {
                r1.umin = r1.umin.max(r2.umin);
                r1.umax = r1.umax.min(r2.umax);
                r1.smin = r1.smin.max(r2.smin);
                r1.smax = r1.smax.min(r2.smax);
                (r2.umin, r2.umax, r2.smin, r2.smax) = (r1.umin, r1.umax, r1.smin, r1.smax);
                r1.var_off = r1.var_off.intersect(r2.var_off);
                r2.var_off = r1.var_off;
            }
        }
        KJmp::Ne => {
            if is_const(r2, jmp32).is_none() {
                std::mem::swap(&mut r1, &mut r2);
            }
            let Some(val) = is_const(r2, jmp32) else {
                return;
            };
            if jmp32 {
                let v = val & mask(h);
                if r1.u32_min == v {
                    r1.u32_min += 1;
                }
                if r1.u32_max == v {
                    r1.u32_max = r1.u32_max.wrapping_sub(1) & mask(h);
                }
                if r1.s32_min == sx(v, h) {
                    r1.s32_min += 1;
                }
                if r1.s32_max == sx(v, h) {
                    r1.s32_max -= 1;
                }
            } else {
                if r1.umin == val {
                    r1.umin += 1;
                }
                if r1.umax == val {
                    r1.umax = r1.umax.wrapping_sub(1) & mask(b.full);
                }
                if r1.smin == sx(val, b.full) {
                    r1.smin += 1;
                }
                if r1.smax == sx(val, b.full) {
                    r1.smax -= 1;
                }
            }
        }
        KJmp::Set | KJmp::SetRev => {
            if is_const(r2, jmp32).is_none() {
                std::mem::swap(&mut r1, &mut r2);
            }
            let Some(val) = is_const(r2, jmp32) else {
                return;
            };
            if op == KJmp::Set {
                if val.count_ones() != 1 {
                    return;
                }
                if jmp32 {
                    let t = r1.var_off.cast(h).or(KTnum::konst(val));
                    r1.var_off = with_sub(r1.var_off, t, b);
                } else {
                    r1.var_off = r1.var_off.or(KTnum::konst(val));
                }
            } else {
                r1.mark64_unbounded_pub();
                r1.mark32_unbounded_pub();
                if jmp32 {
                    let t = r1.var_off.cast(h).and(KTnum::konst(!val & mask(h)));
                    r1.var_off = with_sub(r1.var_off, t, b);
                } else {
                    r1.var_off = r1.var_off.and(KTnum::konst(!val & mask(b.full)));
                }
            }
        }
        KJmp::Le | KJmp::Lt => {
            let d = u128::from(op == KJmp::Lt);
            if jmp32 {
                r1.u32_max = r1.u32_max.min(r2.u32_max.wrapping_sub(d) & mask(h));
                r2.u32_min = r2.u32_min.max((r1_u32_min(r1) + d) & mask(h));
            } else {
                r1.umax = r1.umax.min(r2.umax.wrapping_sub(d) & mask(b.full));
                r2.umin = r2.umin.max((r1.umin + d) & mask(b.full));
            }
        }
        KJmp::SLe | KJmp::SLt => {
            let d = i128::from(op == KJmp::SLt);
            if jmp32 {
                r1.s32_max = r1.s32_max.min(sx(ux(r2.s32_max - d, h), h));
                r2.s32_min = r2.s32_min.max(sx(ux(r1.s32_min + d, h), h));
            } else {
                r1.smax = r1.smax.min(sx(ux(r2.smax - d, b.full), b.full));
                r2.smin = r2.smin.max(sx(ux(r1.smin + d, b.full), b.full));
            }
        }
        _ => {}
    }
}

fn r1_u32_min(r: &KReg) -> u128 {
    r.u32_min
}

fn with_sub(t: KTnum, sub: KTnum, b: Bits) -> KTnum {
    t.rshift(b.half).lshift(b.half, b.full).or(sub.cast(b.half))
}

/// What the kernel keeps on the edge `taken` of `r1 <op> r2`: `None` when it prunes the edge
/// (`is_branch_taken` decided the other way, or the refined bounds are inconsistent).
pub fn refine(r1: KReg, r2: KReg, op: KJmp, jmp32: bool, taken: bool) -> Option<(KReg, KReg)> {
    match r1.branch_taken(&r2, op, jmp32) {
        Some(outcome) if outcome != taken => return None,
        Some(_) => return Some((r1, r2)),
        None => {}
    }
    let (mut a, mut c) = (r1, r2);
    let eff = if taken { op } else { rev(op) };
    refine_cond(&mut a, &mut c, eff, jmp32);
    a.sync();
    c.sync();
    if !a.is_valid() || !c.is_valid() {
        return None;
    }
    Some((a, c))
}
