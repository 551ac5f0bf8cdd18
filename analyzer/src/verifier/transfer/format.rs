//! Format strings of `bpf_snprintf`: the kernel reads the constant format at load time and
//! rejects conversions it cannot print safely (its `bpf_bprintf_prepare`).

use super::{Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::domain::Scalar;
use crate::verifier::state::{AbstractState, Pointer, PtrKind};
use crate::verifier::violation::{Code, Violation};

/// Most arguments a format may consume (`MAX_BPRINTF_VARARGS`).
const MAX_ARGS: usize = 12;

/// Why a format is rejected.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum FormatError {
    /// A conversion the kernel does not allow (`%n`, an unknown letter, a non-printable byte).
    Invalid(String),
    /// More conversions than the data array holds.
    TooManyConversions { conversions: usize, args: usize },
}

/// Checks `fmt` (without its NUL) against `n_args` 8-byte arguments.
pub(super) fn check(fmt: &[u8], n_args: usize) -> Result<(), FormatError> {
    let mut n = 0;
    let mut i = 0;
    let bad = |what: &str| Err(FormatError::Invalid(what.to_string()));
    while i < fmt.len() {
        let c = fmt[i];
        if !c.is_ascii() || !(c.is_ascii_graphic() || c.is_ascii_whitespace()) {
            return bad("a byte that is not printable ASCII");
        }
        i += 1;
        if c != b'%' {
            continue;
        }
        if fmt.get(i) == Some(&b'%') {
            i += 1;
            continue;
        }
        while matches!(fmt.get(i), Some(b'0' | b'+' | b'-' | b' ')) {
            i += 1;
        }
        while fmt.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if fmt.get(i) == Some(&b'.') {
            i += 1;
            while fmt.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
        }
        n += 1;
        match fmt.get(i) {
            Some(b'p') => {
                i += 1;
                match fmt.get(i) {
                    Some(b'K' | b's' | b'S' | b'B' | b'x') => i += 1,
                    Some(b'i' | b'I') => {
                        i += 1;
                        if !matches!(fmt.get(i), Some(b'4' | b'6')) {
                            return bad("%pi/%pI without 4 or 6");
                        }
                        i += 1;
                    }
                    _ => {}
                }
            }
            Some(b'c' | b's') => i += 1,
            _ => {
                if fmt.get(i) == Some(&b'l') {
                    i += 1;
                    if fmt.get(i) == Some(&b'l') {
                        i += 1;
                    }
                }
                match fmt.get(i) {
                    Some(b'i' | b'd' | b'u' | b'x' | b'X' | b'o') => i += 1,
                    Some(&c) => return bad(&format!("the conversion %{}", c as char)),
                    None => return bad("a '%' at the end"),
                }
            }
        }
    }
    if n > n_args.min(MAX_ARGS) {
        return Err(FormatError::TooManyConversions {
            conversions: n,
            args: n_args,
        });
    }
    Ok(())
}

impl Vm<'_> {
    /// `bpf_snprintf(str, size, fmt, data, data_len)`: the constant format must be valid and
    /// consume no more than `data_len / 8` arguments.
    pub(super) fn check_snprintf(&self, st: &AbstractState, pc: InsnIdx) -> Res<()> {
        let invalid =
            |why: String| Violation::new(Code::HelperArgType, pc, why, "Invalid format string");
        let Some(Pointer {
            kind: PtrKind::MapValue { map },
            off,
            ..
        }) = st.reg(Reg::R3).as_ptr()
        else {
            return Ok(());
        };
        let Some(init) = crate::verifier::env::map_frozen_value(self.map(*map)) else {
            return Ok(());
        };
        let tail = usize::try_from(*off)
            .ok()
            .and_then(|o| init.get(o..))
            .unwrap_or(&[]);
        let Some(len) = tail.iter().position(|b| *b == 0) else {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                "the format string has no terminating NUL",
                "string is not zero-terminated",
            ));
        };
        let n_args = st
            .reg(Reg::R5)
            .as_scalar()
            .and_then(Scalar::as_const)
            .unwrap_or(0) as usize
            / 8;
        match check(&tail[..len], n_args) {
            Ok(()) => Ok(()),
            Err(FormatError::Invalid(what)) => {
                Err(invalid(format!("the bpf_snprintf format uses {what}, which the kernel does not allow")))
            }
            Err(FormatError::TooManyConversions { conversions, args }) => Err(invalid(format!(
                "the bpf_snprintf format has {conversions} conversions but the data array holds {args} values"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_common_conversions() {
        assert_eq!(check(b"pid %d comm %s at %llx %pI4 100%%", 4), Ok(()));
    }

    #[test]
    fn rejects_percent_n_and_unknown_letters() {
        assert!(matches!(check(b"%n", 1), Err(FormatError::Invalid(_))));
        assert!(matches!(check(b"%q", 1), Err(FormatError::Invalid(_))));
    }

    #[test]
    fn rejects_more_conversions_than_arguments() {
        assert_eq!(
            check(b"%d %d", 1),
            Err(FormatError::TooManyConversions {
                conversions: 2,
                args: 1
            })
        );
    }
}
