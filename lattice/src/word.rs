//! Machine words the domains are generic over.
//!
//! Representation: a [`Word`] is an unsigned integer of `BITS` bits.
//! The same bit pattern is read as unsigned or as two's-complement signed, as BPF registers are.
//! The trait is sealed: it is implemented for `u8`, `u16`, `u32`, `u64` and for the small test
//! widths [`U2`] and [`U4`] (2 and 4 bits stored in a `u8`), so every domain operator can be proven
//! sound by exhaustive enumeration at a width where that is cheap, and then run unchanged at 64 bits.
//!
//! [`WideWord`] adds the split into a high and a low half (the 32-bit sub-register of a 64-bit
//! register).
//! It is implemented for `u64` (half `u32`), `u32` (half `u16`), `u16` (half `u8`), `u8` (half [`U4`])
//! and [`U4`] (half [`U2`]).
//!
//! Invariant: a `Small<N>` value is always below `2^N`; every operation masks its result.
//! All methods are total: shifts by `BITS` or more produce zero (or all sign bits), never a panic.

use core::fmt;
use core::hash::Hash;
use core::ops::{BitAnd, BitOr, BitXor, Not};

mod sealed {
    pub trait Sealed {}
}

/// An unsigned machine word of `BITS` bits, also read as two's complement.
///
/// Contract: arithmetic wraps modulo `2^BITS`; `to_i128` is the signed reading and `to_u128` the
/// unsigned one; `from_u128` truncates.
pub trait Word:
    sealed::Sealed
    + Copy
    + Eq
    + Ord
    + Hash
    + Default
    + fmt::Debug
    + fmt::Display
    + fmt::LowerHex
    + Send
    + Sync
    + 'static
    + BitAnd<Output = Self>
    + BitOr<Output = Self>
    + BitXor<Output = Self>
    + Not<Output = Self>
{
    /// The signed type with the same width (`i8` for the small test words).
    type Signed: Copy + Ord + Eq + Hash + fmt::Debug + fmt::Display + Send + Sync + 'static;
    /// Number of bits.
    const BITS: u32;
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// All ones (`U64_MAX` at 64 bits).
    const MAX: Self;
    /// Only the top bit set: the bit pattern of the signed minimum (`S64_MIN`).
    const SIGN: Self;

    /// Truncates `x` to `BITS` bits.
    fn from_u128(x: u128) -> Self;
    /// The unsigned value.
    fn to_u128(self) -> u128;
    /// The signed (two's complement) value.
    fn to_i128(self) -> i128;
    /// The signed value in the native signed type.
    fn to_signed(self) -> Self::Signed;
    /// The bit pattern of a signed value.
    fn from_signed(s: Self::Signed) -> Self;
    /// Wrapping addition.
    fn wrapping_add(self, rhs: Self) -> Self;
    /// Wrapping subtraction.
    fn wrapping_sub(self, rhs: Self) -> Self;
    /// Wrapping multiplication.
    fn wrapping_mul(self, rhs: Self) -> Self;
    /// Number of leading zero bits (within `BITS`).
    fn leading_zeros(self) -> u32;
    /// Number of trailing zero bits (`BITS` for zero).
    fn trailing_zeros(self) -> u32;
    /// Number of one bits.
    fn count_ones(self) -> u32;

    /// Truncates a `u64` (convenience for constants).
    #[inline]
    fn from_u64(x: u64) -> Self {
        Self::from_u128(u128::from(x))
    }
    /// The unsigned value as `u64` (the words are at most 64 bits).
    #[inline]
    fn to_u64(self) -> u64 {
        // At most 64 bits wide by construction, so this never truncates.
        self.to_u128() as u64
    }
    /// The bit pattern of a signed `i128`, truncated.
    #[inline]
    fn from_i128(x: i128) -> Self {
        Self::from_u128(x as u128)
    }
    /// Logical shift left; `n >= BITS` gives zero.
    #[inline]
    fn shl(self, n: u32) -> Self {
        if n >= Self::BITS {
            Self::ZERO
        } else {
            Self::from_u128(self.to_u128() << n)
        }
    }
    /// Logical shift right; `n >= BITS` gives zero.
    #[inline]
    fn shr(self, n: u32) -> Self {
        if n >= Self::BITS {
            Self::ZERO
        } else {
            Self::from_u128(self.to_u128() >> n)
        }
    }
    /// Arithmetic shift right; `n >= BITS` gives all sign bits.
    #[inline]
    fn sar(self, n: u32) -> Self {
        Self::from_i128(self.to_i128() >> n.min(Self::BITS))
    }
    /// Ones in the low `n` bits (`n >= BITS` gives `MAX`).
    #[inline]
    fn low_mask(n: u32) -> Self {
        if n >= Self::BITS {
            Self::MAX
        } else {
            Self::ONE.shl(n).wrapping_sub(Self::ONE)
        }
    }
    /// Two's-complement negation.
    #[inline]
    fn wrapping_neg(self) -> Self {
        Self::ZERO.wrapping_sub(self)
    }
    /// Signed less-or-equal.
    #[inline]
    fn sle(self, rhs: Self) -> bool {
        (self ^ Self::SIGN) <= (rhs ^ Self::SIGN)
    }
    /// Signed less-than.
    #[inline]
    fn slt(self, rhs: Self) -> bool {
        (self ^ Self::SIGN) < (rhs ^ Self::SIGN)
    }
    /// Signed maximum.
    #[inline]
    fn smax_of(self, rhs: Self) -> Self {
        if self.slt(rhs) {
            rhs
        } else {
            self
        }
    }
    /// Signed minimum.
    #[inline]
    fn smin_of(self, rhs: Self) -> Self {
        if self.slt(rhs) {
            self
        } else {
            rhs
        }
    }
    /// The signed maximum bit pattern (`S64_MAX`).
    #[inline]
    fn signed_max() -> Self {
        !Self::SIGN
    }
    /// Reverses the order of the low `bytes` bytes and clears the rest (requires 8-bit multiples).
    #[inline]
    fn swap_bytes_low(self, bytes: u32) -> Self {
        let x = self.to_u128();
        let mut res = 0u128;
        for i in 0..bytes {
            res |= ((x >> (8 * i)) & 0xff) << (8 * (bytes - 1 - i));
        }
        Self::from_u128(res)
    }
    /// Sign-extends the low `bits` bits to the full width (`bits` in `1..=BITS`).
    #[inline]
    fn sext_from(self, bits: u32) -> Self {
        let sh = Self::BITS - bits.clamp(1, Self::BITS);
        self.shl(sh).sar(sh)
    }
}

/// A word that splits into two halves, as a 64-bit register splits into its 32-bit sub-register.
pub trait WideWord: Word {
    /// The half-width word (`u32` for `u64`).
    type Half: Word;
    /// The low half (the sub-register).
    #[inline]
    fn lo(self) -> Self::Half {
        Self::Half::from_u128(self.to_u128())
    }
    /// The high half.
    #[inline]
    fn hi(self) -> Self::Half {
        Self::Half::from_u128(self.to_u128() >> Self::Half::BITS)
    }
    /// Joins a high and a low half.
    #[inline]
    fn from_halves(hi: Self::Half, lo: Self::Half) -> Self {
        Self::from_u128((hi.to_u128() << Self::Half::BITS) | lo.to_u128())
    }
    /// Zero extension of a half word.
    #[inline]
    fn zext(h: Self::Half) -> Self {
        Self::from_u128(h.to_u128())
    }
    /// Sign extension of a half word.
    #[inline]
    fn sext(h: Self::Half) -> Self {
        Self::from_i128(h.to_i128())
    }
}

macro_rules! native_word {
    ($u:ty, $s:ty) => {
        impl sealed::Sealed for $u {}
        impl Word for $u {
            type Signed = $s;
            const BITS: u32 = <$u>::BITS;
            const ZERO: Self = 0;
            const ONE: Self = 1;
            const MAX: Self = <$u>::MAX;
            const SIGN: Self = 1 << (<$u>::BITS - 1);
            #[inline]
            fn from_u128(x: u128) -> Self {
                x as $u
            }
            #[inline]
            fn to_u128(self) -> u128 {
                u128::from(self)
            }
            #[inline]
            fn to_i128(self) -> i128 {
                i128::from(self as $s)
            }
            #[inline]
            fn to_signed(self) -> $s {
                self as $s
            }
            #[inline]
            fn from_signed(s: $s) -> Self {
                s as $u
            }
            #[inline]
            fn wrapping_add(self, rhs: Self) -> Self {
                <$u>::wrapping_add(self, rhs)
            }
            #[inline]
            fn wrapping_sub(self, rhs: Self) -> Self {
                <$u>::wrapping_sub(self, rhs)
            }
            #[inline]
            fn wrapping_mul(self, rhs: Self) -> Self {
                <$u>::wrapping_mul(self, rhs)
            }
            #[inline]
            fn leading_zeros(self) -> u32 {
                <$u>::leading_zeros(self)
            }
            #[inline]
            fn trailing_zeros(self) -> u32 {
                <$u>::trailing_zeros(self)
            }
            #[inline]
            fn count_ones(self) -> u32 {
                <$u>::count_ones(self)
            }
            #[inline]
            fn shl(self, n: u32) -> Self {
                self.checked_shl(n).unwrap_or(0)
            }
            #[inline]
            fn shr(self, n: u32) -> Self {
                self.checked_shr(n).unwrap_or(0)
            }
            #[inline]
            fn sar(self, n: u32) -> Self {
                ((self as $s) >> n.min(<$u>::BITS - 1)) as $u
            }
            #[inline]
            fn wrapping_neg(self) -> Self {
                <$u>::wrapping_neg(self)
            }
        }
    };
}

native_word!(u8, i8);
native_word!(u16, i16);
native_word!(u32, i32);
native_word!(u64, i64);

impl WideWord for u64 {
    type Half = u32;
}
impl WideWord for u32 {
    type Half = u16;
}
impl WideWord for u16 {
    type Half = u8;
}
impl WideWord for u8 {
    type Half = U4;
}
impl WideWord for U4 {
    type Half = U2;
}

/// An `N`-bit unsigned word stored in a `u8`, used to prove operators by exhaustion.
///
/// Invariant: the stored value is below `2^N`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Small<const N: u32>(u8);

/// A 4-bit word (81 tnums, 136 intervals).
pub type U4 = Small<4>;
/// A 2-bit word, the sub-register of [`U4`].
pub type U2 = Small<2>;

impl<const N: u32> Small<N> {
    const MASK: u8 = ((1u16 << N) - 1) as u8;
    /// Truncates `x` to `N` bits.
    pub const fn new(x: u8) -> Self {
        Small(x & Self::MASK)
    }
    /// The stored value.
    pub const fn get(self) -> u8 {
        self.0
    }
}

impl<const N: u32> fmt::Debug for Small<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.0, f)
    }
}
impl<const N: u32> fmt::Display for Small<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
impl<const N: u32> fmt::LowerHex for Small<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}
impl<const N: u32> BitAnd for Small<N> {
    type Output = Self;
    #[inline]
    fn bitand(self, rhs: Self) -> Self {
        Small(self.0 & rhs.0)
    }
}
impl<const N: u32> BitOr for Small<N> {
    type Output = Self;
    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        Small(self.0 | rhs.0)
    }
}
impl<const N: u32> BitXor for Small<N> {
    type Output = Self;
    #[inline]
    fn bitxor(self, rhs: Self) -> Self {
        Small(self.0 ^ rhs.0)
    }
}
impl<const N: u32> Not for Small<N> {
    type Output = Self;
    #[inline]
    fn not(self) -> Self {
        Small(!self.0 & Self::MASK)
    }
}

macro_rules! small_word {
    ($n:literal) => {
        impl sealed::Sealed for Small<$n> {}
        impl Word for Small<$n> {
            type Signed = i8;
            const BITS: u32 = $n;
            const ZERO: Self = Small(0);
            const ONE: Self = Small(1);
            const MAX: Self = Small(Self::MASK);
            const SIGN: Self = Small(1 << ($n - 1));
            #[inline]
            fn from_u128(x: u128) -> Self {
                Small((x as u8) & Self::MASK)
            }
            #[inline]
            fn to_u128(self) -> u128 {
                u128::from(self.0)
            }
            #[inline]
            fn to_i128(self) -> i128 {
                let v = i128::from(self.0);
                if self.0 & (1 << ($n - 1)) != 0 {
                    v - (1 << $n)
                } else {
                    v
                }
            }
            #[inline]
            fn to_signed(self) -> i8 {
                self.to_i128() as i8
            }
            #[inline]
            fn from_signed(s: i8) -> Self {
                Small((s as u8) & Self::MASK)
            }
            #[inline]
            fn wrapping_add(self, rhs: Self) -> Self {
                Small(self.0.wrapping_add(rhs.0) & Self::MASK)
            }
            #[inline]
            fn wrapping_sub(self, rhs: Self) -> Self {
                Small(self.0.wrapping_sub(rhs.0) & Self::MASK)
            }
            #[inline]
            fn wrapping_mul(self, rhs: Self) -> Self {
                Small(self.0.wrapping_mul(rhs.0) & Self::MASK)
            }
            #[inline]
            fn leading_zeros(self) -> u32 {
                self.0.leading_zeros() - (8 - $n)
            }
            #[inline]
            fn trailing_zeros(self) -> u32 {
                self.0.trailing_zeros().min($n)
            }
            #[inline]
            fn count_ones(self) -> u32 {
                self.0.count_ones()
            }
        }
    };
}

small_word!(2);
small_word!(4);

/// Iterates over every value of a word type of at most 16 bits (test helper).
pub fn all_values<W: Word>() -> impl Iterator<Item = W> + Clone {
    assert!(W::BITS <= 16, "all_values is only for small words");
    (0..(1u128 << W::BITS)).map(W::from_u128)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_words_wrap_and_sign() {
        let x = U4::new(0b1111);
        assert_eq!(x.to_i128(), -1);
        assert_eq!(x.wrapping_add(U4::ONE), U4::ZERO);
        assert_eq!(U4::SIGN.to_i128(), -8);
        assert_eq!(U4::new(0b1000).sar(2), U4::new(0b1110));
        assert_eq!(U4::new(0b0001).leading_zeros(), 3);
        assert_eq!((!U4::ZERO), U4::MAX);
        assert_eq!(U4::new(0b0110).sext_from(2), U4::new(0b1110));
    }

    #[test]
    fn halves_round_trip() {
        for x in all_values::<u8>() {
            assert_eq!(u8::from_halves(x.hi(), x.lo()), x);
        }
        assert_eq!(0x1234_5678_9abc_def0u64.lo(), 0x9abc_def0);
        assert_eq!(0x1234_5678_9abc_def0u64.hi(), 0x1234_5678);
        assert_eq!(u64::sext(0x8000_0000), 0xffff_ffff_8000_0000);
    }

    #[test]
    fn native_shifts_are_total() {
        assert_eq!(1u64.shl(64), 0);
        assert_eq!(u64::MAX.shr(64), 0);
        assert_eq!(0x8000_0000_0000_0000u64.sar(70), u64::MAX);
        assert_eq!(u64::low_mask(64), u64::MAX);
        assert_eq!(u64::low_mask(3), 7);
        assert_eq!(0x1122u64.swap_bytes_low(2), 0x2211);
    }
}
