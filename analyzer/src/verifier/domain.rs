//! The numeric domain as the verifier uses it: a thin adapter over `bpfvet_lattice::Scalar`
//! that speaks the ISA's enums, so the transfer functions never see the lattice's generics.

use crate::isa::{AluOp, Cond, EndianOp, Width};
use bpfvet_lattice as lat;
use std::fmt;

/// A 64-bit scalar: tnum × u64 × s64 × u32 × s32 ranges, reduced.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scalar(lat::Scalar);

fn width(w: Width) -> lat::Width {
    match w {
        Width::W32 => lat::Width::W32,
        Width::W64 => lat::Width::W64,
    }
}

fn cond(c: Cond) -> lat::Cond {
    match c {
        Cond::Eq => lat::Cond::Eq,
        Cond::Ne => lat::Cond::Ne,
        Cond::Gt => lat::Cond::Gt,
        Cond::Ge => lat::Cond::Ge,
        Cond::Lt => lat::Cond::Lt,
        Cond::Le => lat::Cond::Le,
        Cond::SGt => lat::Cond::SGt,
        Cond::SGe => lat::Cond::SGe,
        Cond::SLt => lat::Cond::SLt,
        Cond::SLe => lat::Cond::SLe,
        Cond::Set => lat::Cond::Set,
    }
}

impl Scalar {
    pub fn constant(v: u64) -> Self {
        Scalar(lat::Scalar::constant(v))
    }

    pub fn top() -> Self {
        Scalar(lat::Scalar::top())
    }

    /// Any value of the given width, zero-extended (the result of an unknown 32-bit op).
    pub fn top_of(w: Width) -> Self {
        match w {
            Width::W64 => Self::top(),
            Width::W32 => Self::unknown_bytes(4),
        }
    }

    /// Any value of `bytes` bytes, zero-extended: what a load of that size yields.
    pub fn unknown_bytes(bytes: u32) -> Self {
        Scalar(lat::Scalar::load(bytes))
    }

    /// Any value in `[lo, hi]` (unsigned); `top` if the range is empty.
    pub fn from_urange(lo: u64, hi: u64) -> Self {
        lat::Scalar::from_urange(lo, hi).map_or_else(Self::top, Scalar)
    }

    /// Any value in `[lo, hi]` (signed); `top` if the range is empty.
    pub fn from_srange(lo: i64, hi: i64) -> Self {
        lat::Scalar::from_srange(lo as u64, hi as u64).map_or_else(Self::top, Scalar)
    }

    /// Any 64-bit value whose low 32 bits, read signed, are in `[lo, hi]` (the upper half
    /// unknown): what the kernel makes of an `int` result it bounds with
    /// `__mark_reg_s32_range`. `top` if the range is empty.
    pub fn low_s32_range(lo: i32, hi: i32) -> Self {
        let t = lat::Scalar::top();
        lat::SRange::new(lo as u32, hi as u32)
            .and_then(|s32| {
                lat::Scalar::from_parts(t.var_off(), t.urange(), t.srange(), t.urange32(), s32)
            })
            .map_or_else(Self::top, Scalar)
    }

    pub fn as_const(&self) -> Option<u64> {
        self.0.is_const()
    }

    /// `Some(v)` if the low 32 bits are known exactly.
    pub fn as_const32(&self) -> Option<u32> {
        self.0.is_const32()
    }

    pub fn umin(&self) -> u64 {
        self.0.umin()
    }

    pub fn umax(&self) -> u64 {
        self.0.umax()
    }

    pub fn smin(&self) -> i64 {
        self.0.smin()
    }

    pub fn smax(&self) -> i64 {
        self.0.smax()
    }

    pub fn u32_min(&self) -> u32 {
        self.0.u32_min()
    }

    pub fn u32_max(&self) -> u32 {
        self.0.u32_max()
    }

    pub fn s32_min(&self) -> i32 {
        self.0.s32_min()
    }

    pub fn s32_max(&self) -> i32 {
        self.0.s32_max()
    }

    /// The tnum as (value, mask).
    pub fn tnum(&self) -> (u64, u64) {
        let t = self.0.var_off();
        (t.value(), t.mask())
    }

    /// The offset as the kernel's alignment and context messages print it: the value when
    /// known, else the tnum `(value; mask)`.
    pub fn kernel_off_str(&self) -> String {
        match self.as_const() {
            Some(v) => format!("{}", v as i64),
            None => {
                let (v, m) = self.tnum();
                format!("({v:#x}; {m:#x})")
            }
        }
    }

    /// Whether the lattice's invariant holds (reduced, non-empty): checked under
    /// `BPF_F_TEST_REG_INVARIANTS`, where a failure is an operator bug.
    pub fn invariant_holds(&self) -> bool {
        self.0.invariant_holds()
    }

    /// Whether nothing at all is known (every bit unknown).
    pub fn is_top(&self) -> bool {
        self.0.is_top()
    }

    /// `γ(self) ⊆ γ(other)`.
    pub fn le(&self, other: &Scalar) -> bool {
        self.0.le(other.0)
    }

    pub fn join(&self, other: &Scalar) -> Scalar {
        Scalar(self.0.join(other.0))
    }

    /// `a op b` at the given width. `Mov` is not an operation here.
    pub fn alu(op: AluOp, w: Width, a: &Scalar, b: &Scalar) -> Scalar {
        let op = match op {
            AluOp::Add => lat::AluOp::Add,
            AluOp::Sub => lat::AluOp::Sub,
            AluOp::Mul => lat::AluOp::Mul,
            AluOp::Div => lat::AluOp::Div,
            AluOp::SDiv => lat::AluOp::SDiv,
            AluOp::Mod => lat::AluOp::Mod,
            AluOp::SMod => lat::AluOp::SMod,
            AluOp::Or => lat::AluOp::Or,
            AluOp::And => lat::AluOp::And,
            AluOp::Lsh => lat::AluOp::Lsh,
            AluOp::Rsh => lat::AluOp::Rsh,
            AluOp::Xor => lat::AluOp::Xor,
            AluOp::Arsh => lat::AluOp::Arsh,
            AluOp::Mov => return if w == Width::W64 { *b } else { b.zext32() },
        };
        Scalar(lat::Scalar::alu(op, width(w), a.0, b.0))
    }

    /// `self << k` for a known count `k` below the width, keeping only what the kernel's
    /// `scalar_min_max_lsh` (and its 32-bit half) keeps: the shifted tnum; the unsigned
    /// bounds shifted when no set bit can leave the top, else nothing; no signed bounds but
    /// the `<< 32` case whose 32-bit bounds are non-negative (the compiler's sign-extension
    /// idiom). bpfvet's own shift keeps more (a shifted signed range), so with it a pointer
    /// plus `x << 2` was "out of bounds" where the kernel stops at "unbounded min value", and
    /// a bounds check the kernel cannot follow could pass.
    pub fn kernel_lsh(&self, w: Width, k: u32) -> Scalar {
        let a = self.0;
        let u32_shifted = if k > 31 || u64::from(a.u32_max()) > 1u64 << (31 - k) {
            lat::URange::full()
        } else {
            lat::URange::new(a.u32_min() << k, a.u32_max() << k).unwrap_or_else(lat::URange::full)
        };
        let parts = match w {
            Width::W64 => {
                let u = if a.umax() > 1u64 << (63 - k) {
                    lat::URange::full()
                } else {
                    lat::URange::new(a.umin() << k, a.umax() << k).unwrap_or_else(lat::URange::full)
                };
                let smin = match a.s32_min() {
                    m if k == 32 && m >= 0 => i64::from(m) << 32,
                    _ => i64::MIN,
                };
                let smax = match a.s32_max() {
                    m if k == 32 && m >= 0 => i64::from(m) << 32,
                    _ => i64::MAX,
                };
                let s =
                    lat::SRange::new(smin as u64, smax as u64).unwrap_or_else(lat::SRange::full);
                lat::Scalar::from_parts(a.var_off().shl(k), u, s, u32_shifted, lat::SRange::full())
            }
            // A 32-bit shift zero-extends: the 64-bit bounds are the unsigned 32-bit ones.
            Width::W32 => {
                let u = lat::URange::new(u64::from(u32_shifted.lo()), u64::from(u32_shifted.hi()))
                    .unwrap_or_else(lat::URange::full);
                lat::Scalar::from_parts(
                    a.var_off().shl(k).trunc(32),
                    u,
                    lat::SRange::full(),
                    u32_shifted,
                    lat::SRange::full(),
                )
            }
        };
        parts.map_or_else(
            || Scalar::alu(AluOp::Lsh, w, self, &Scalar::constant(u64::from(k))),
            Scalar,
        )
    }

    pub fn neg(&self, w: Width) -> Scalar {
        Scalar(self.0.neg(width(w)))
    }

    pub fn zext32(&self) -> Scalar {
        Scalar(self.0.zext32())
    }

    /// The low `bytes` bytes, zero-extended: what a narrow load of this value reads (the
    /// kernel's `coerce_reg_to_size`).
    pub fn truncate_bytes(&self, bytes: u32) -> Scalar {
        Scalar(self.0.trunc(bytes * 8))
    }

    /// How many low bits can be non-zero (`fls64(umax)`, the kernel's `get_reg_width`).
    pub fn width_bits(&self) -> u32 {
        64 - self.umax().leading_zeros()
    }

    /// `le`/`be`/`bswap` of the low `bits`.
    pub fn endian(&self, op: EndianOp, bits: u32) -> Scalar {
        Scalar(match op {
            EndianOp::ToLe => self.0.to_le(bits),
            EndianOp::ToBe => self.0.to_be(bits),
            EndianOp::Swap => self.0.bswap(bits),
        })
    }

    /// Sign extension of the low `from_bits` to the width (`movsx`, sign-extending loads).
    pub fn sign_extend(&self, w: Width, from_bits: u32) -> Scalar {
        Scalar(self.0.sign_extend(from_bits, width(w)))
    }

    /// The outcome of `a cond b` if it is the same for every member.
    /// Whether the unsigned sub-register range holds both `0x7fffffff` and `0x80000000`, so
    /// that read as signed it is not one interval.
    pub fn u32_crosses_sign(&self) -> bool {
        (self.u32_min() as i32) >= 0 && (self.u32_max() as i32) < 0
    }

    /// Whether the signed sub-register range holds both -1 and 0, so that read as unsigned it
    /// is not one interval.
    pub fn s32_crosses_sign(&self) -> bool {
        self.s32_min() < 0 && self.s32_max() >= 0
    }

    /// The value with the sub-register's unsigned (`keep_signed`) or signed range forgotten,
    /// and with it the full-width ranges (they would give it back); the bits known stay.
    pub fn forget_low_view(&self, keep_signed: bool) -> Scalar {
        let top = lat::Scalar::top();
        let (u32, s32) = if keep_signed {
            (top.urange32(), self.0.srange32())
        } else {
            (self.0.urange32(), top.srange32())
        };
        lat::Scalar::from_parts(self.0.var_off(), top.urange(), top.srange(), u32, s32)
            .map_or(*self, Scalar)
    }

    pub fn branch_taken(c: Cond, w: Width, a: &Scalar, b: &Scalar) -> Option<bool> {
        lat::Scalar::branch_taken(cond(c), width(w), a.0, b.0)
    }

    /// Both operands refined by the outcome of `a cond b`, or `None` if it cannot happen.
    pub fn refine(
        c: Cond,
        w: Width,
        a: &Scalar,
        b: &Scalar,
        taken: bool,
    ) -> Option<(Scalar, Scalar)> {
        lat::Scalar::refine(cond(c), width(w), a.0, b.0, taken).map(|(x, y)| (Scalar(x), Scalar(y)))
    }
}

impl fmt::Display for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Scalar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
