//! The range of values a program (or subprogram kind) must return at exit, and the kernel's
//! words when r0 may fall outside it (`check_return_code`).

use super::{Res, Vm};
use crate::isa::InsnIdx;
use crate::verifier::state::RegState;
use crate::verifier::violation::{Code, Violation};

impl Vm<'_> {
    /// `bits32`: only the low 32 bits, as a signed int, must be inside `[lo, hi]`.
    pub(super) fn check_ret_range(
        &self,
        pc: InsnIdx,
        r0: &RegState,
        range: (i64, i64, bool),
        ctx: &str,
    ) -> Res<()> {
        let (lo, hi, bits32) = range;
        let Some(v) = r0.as_scalar() else {
            return Err(Violation::new(
                Code::ReturnOutOfRange,
                pc,
                "r0 must be a number here",
                format!(
                    "{ctx} the register R0 is not a known value ({})",
                    r0.type_name()
                ),
            ));
        };
        let (min, max) = if bits32 {
            (i64::from(v.s32_min()), i64::from(v.s32_max()))
        } else {
            (v.smin(), v.smax())
        };
        if min >= lo && max <= hi {
            return Ok(());
        }
        Err(Violation::new(
            Code::ReturnOutOfRange,
            pc,
            format!(
                "r0 may be outside [{lo}, {hi}], the range {} programs must return",
                self.input.prog_type.name
            ),
            invalid_scalar_text(ctx, v, lo, hi),
        )
        .with_note(format!("r0 is {v}")))
    }
}

/// The kernel's words for a return value out of its range (`verbose_invalid_scalar`): only
/// the signed bounds that are not the type's limits are named, and a value with neither is
/// "unknown", whatever its unsigned bounds.
pub(super) fn invalid_scalar_text(
    ctx: &str,
    v: &crate::verifier::domain::Scalar,
    lo: i64,
    hi: i64,
) -> String {
    let mut bounds = String::new();
    if v.smin() > i64::MIN {
        bounds += &format!(" smin={}", v.smin());
    }
    if v.smax() < i64::MAX {
        bounds += &format!(" smax={}", v.smax());
    }
    if bounds.is_empty() {
        bounds = " unknown scalar value".to_owned();
    }
    format!("{ctx} the register R0 has{bounds} should have been in [{lo}, {hi}]")
}
