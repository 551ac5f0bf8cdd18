//! A left shift keeps only the bounds the kernel's `scalar_min_max_lsh` keeps: the shifted
//! tnum, the unsigned bounds when no set bit can leave the top, and signed bounds only for
//! `<< 32` of a non-negative sub-register. After the compiler's sign extension (`<<= 32`,
//! `s>>= 32`) a further `<<= 2` has no lower bound in the kernel (`verifier_global_subprogs.c`
//! `chained_global_func_calls_bad`), where bpfvet's domain knew `[-2^33, 2^33 - 4]` and named
//! a different fault. The live 6.18 kernel, loading the same instructions
//! (`lsh_after_sign_extension`), prints `R1=scalar(smax=0x7ffffffffffffffc,...)` after the
//! shift and stops at the addition with the message below; the 32-bit shift of a masked value
//! (`lsh32_keeps_unsigned_bounds`) loads.

use super::{assert_accepted, assert_rejected, check, lookup_key0};
use crate::isa::Width;
use crate::program::{MapDef, MapType};
use crate::verifier::domain::Scalar;
use crate::verifier::violation::Code;

fn maps() -> [MapDef; 1] {
    [MapDef::plain("vals", MapType::ARRAY, 4, 64, 1)]
}

#[test]
fn a_shift_after_sign_extension_has_no_lower_bound() {
    let src = format!(
        "{}
         r1 = *(u32 *)(r6 + 0x0)
         r1 <<= 0x20
         r1 s>>= 0x20
         r1 <<= 0x2
         r6 += r1
         r0 = 0x0
         exit",
        lookup_key0("r6")
    );
    assert_rejected(
        &check("socket_filter", &maps(), &src),
        Code::UnboundedVarOff,
        "math between map_value pointer and register with unbounded min value is not allowed",
    );
}

#[test]
fn a_32_bit_shift_of_a_small_value_keeps_its_unsigned_bounds() {
    let src = format!(
        "{}
         w1 = *(u32 *)(r6 + 0x0)
         w1 &= 0xf
         w1 <<= 0x2
         r6 += r1
         r0 = *(u32 *)(r6 + 0x0)
         r0 = 0x0
         exit",
        lookup_key0("r6")
    );
    assert_accepted(&check("socket_filter", &maps(), &src));
}

/// The bounds themselves, as the live kernel printed them after each shift.
#[test]
fn the_shifted_bounds_are_the_kernels() {
    // A u32 load, `<<= 32`: the sub-register's signed maximum is non-negative and bounds
    // the result; its signed minimum is not (`s32_min` is `S32_MIN`), so nothing below.
    let loaded = Scalar::from_urange(0, u64::from(u32::MAX));
    let up = loaded.kernel_lsh(Width::W64, 32);
    assert_eq!(
        (up.smin(), up.smax(), up.umax()),
        (i64::MIN, 0x7fff_ffff_0000_0000, 0xffff_ffff_0000_0000)
    );
    // A sub-register known non-negative keeps both signed bounds through `<<= 32`.
    let small = Scalar::from_urange(1, 7);
    let up = small.kernel_lsh(Width::W64, 32);
    assert_eq!((up.smin(), up.smax()), (1 << 32, 7 << 32));
    // `s>>= 32` then `<<= 2`: no signed bounds but what the tnum gives.
    let sext = Scalar::from_srange(i64::from(i32::MIN), i64::from(i32::MAX));
    let scaled = sext.kernel_lsh(Width::W64, 2);
    assert_eq!(
        (scaled.smin(), scaled.smax(), scaled.umax()),
        (i64::MIN, 0x7fff_ffff_ffff_fffc, 0xffff_ffff_ffff_fffc)
    );
    assert_eq!(
        (scaled.s32_max(), scaled.u32_max()),
        (0x7fff_fffc, 0xffff_fffc)
    );
}
