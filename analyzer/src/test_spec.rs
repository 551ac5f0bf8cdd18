//! Expectations of verifier tests written in the style of the kernel's BPF selftests: BTF decl
//! tags `comment:test_*` on a program's `FUNC` (the `__success`, `__failure`, `__msg`,
//! `__retval`, ... macros of the selftests' `bpf_misc.h`), read as the kernel's `test_loader`
//! reads them.
//!
//! Each program has a privileged mode and, when any `_unpriv` tag is present, an unprivileged
//! one; an unprivileged expectation that is not stated is the privileged one.

use crate::btf::{Btf, BtfKind};
use std::fmt;

/// What one mode of a test expects.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expect {
    /// The program must be rejected (default: accepted).
    pub failure: bool,
    /// Texts that must appear in the verifier's log, in this order; `{{...}}` parts are
    /// regular expressions.
    pub msgs: Vec<String>,
    /// The value `BPF_PROG_TEST_RUN` must return, when stated.
    pub retval: Option<Retval>,
}

/// A `__retval` value: a number, or a named value the runtime fixes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Retval {
    Value(i64),
    /// `POINTER_VALUE`: the run returned a pointer (the selftests' 0xcafe4all sentinel).
    Pointer,
}

/// The expectations of one test program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TestSpec {
    /// `__description`, or the function name.
    pub description: Option<String>,
    pub privileged: Expect,
    /// `Some` when any `_unpriv` tag asks for the unprivileged mode.
    pub unprivileged: Option<Expect>,
    /// `__log_level(N)`: 2 and above compare against the instruction-by-instruction log.
    pub log_level: u32,
    /// `__flag(...)`: load flags by name (`BPF_F_ANY_ALIGNMENT`, ...).
    pub prog_flags: Vec<String>,
    /// `__auxiliary` / `__auxiliary_unpriv`: loaded beside the tests (a tail-call target), not
    /// a test itself.
    pub auxiliary: bool,
    /// `__auxiliary`: loaded beside each privileged test of the object.
    pub auxiliary_priv: bool,
    /// `__auxiliary_unpriv`: loaded beside each unprivileged test of the object.
    pub auxiliary_unpriv: bool,
    /// Expectations bpfvet cannot check offline, by tag name (`xlated`, `jited`, `arch`,
    /// `btf_path`): the reason a mode is skipped when they are all it has.
    pub unchecked: Vec<&'static str>,
}

/// A tag that does not parse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SpecError {
    pub tag: String,
    pub why: &'static str,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "malformed test tag {:?}: {}", self.tag, self.why)
    }
}

impl std::error::Error for SpecError {}

/// Named `__retval` values of the selftests (`bpf_misc.h` and `test_loader.c`).
fn named_retval(s: &str) -> Option<Retval> {
    Some(match s {
        "POINTER_VALUE" => Retval::Pointer,
        "TEST_DATA_LEN" => Retval::Value(64),
        "INT_MIN" => Retval::Value(i64::from(i32::MIN)),
        "INT_MAX" => Retval::Value(i64::from(i32::MAX)),
        _ => return None,
    })
}

fn parse_retval(tag: &str, s: &str) -> Result<Retval, SpecError> {
    if let Some(r) = named_retval(s) {
        return Ok(r);
    }
    let (neg, digits) = s.strip_prefix('-').map_or((false, s), |d| (true, d));
    let n = match digits.strip_prefix("0x") {
        Some(hex) => i64::from_str_radix(hex, 16),
        None => digits.parse::<i64>(),
    }
    .map_err(|_| SpecError {
        tag: tag.to_owned(),
        why: "the return value is neither a number nor a known name",
    })?;
    Ok(Retval::Value(if neg { -n } else { n }))
}

/// `N=TEXT` of a message tag: its order key and text.
fn parse_msg(tag: &str, s: &str) -> Result<(u64, String), SpecError> {
    let bad = || SpecError {
        tag: tag.to_owned(),
        why: "a message tag is `msg=N=TEXT` with N a number",
    };
    let (n, text) = s.split_once('=').ok_or_else(bad)?;
    Ok((n.parse().map_err(|_| bad())?, text.to_owned()))
}

impl TestSpec {
    /// The spec of the function `func` from its decl tags in `btf`; `Ok(None)` when it carries
    /// no `comment:test_` tag at all (not a test).
    pub fn of_function(btf: &Btf, func: &str) -> Result<Option<TestSpec>, SpecError> {
        let Some(id) = btf.types().find_map(|(id, t)| {
            (matches!(t.kind, BtfKind::Func { .. }) && btf.name(t) == func).then_some(id)
        }) else {
            return Ok(None);
        };
        let tags: Vec<&str> = btf
            .decl_tags_of(id)
            .into_iter()
            .filter(|(idx, _)| *idx == -1)
            .filter_map(|(_, s)| s.strip_prefix("comment:"))
            .filter(|s| s.starts_with("test_"))
            .collect();
        if tags.is_empty() {
            return Ok(None);
        }
        Self::from_tags(&tags).map(Some)
    }

    /// The spec from tag texts without their `comment:` prefix.
    pub fn from_tags(tags: &[&str]) -> Result<TestSpec, SpecError> {
        let mut spec = TestSpec::default();
        let mut unpriv = Expect::default();
        let (mut unpriv_asked, mut unpriv_verdict) = (false, false);
        let (mut msgs, mut unpriv_msgs) = (Vec::new(), Vec::new());
        for &tag in tags {
            let (name, value) = tag.split_once('=').unwrap_or((tag, ""));
            match name {
                "test_expect_success" => spec.privileged.failure = false,
                "test_expect_failure" => spec.privileged.failure = true,
                "test_expect_success_unpriv" | "test_expect_failure_unpriv" => {
                    unpriv.failure = name == "test_expect_failure_unpriv";
                    (unpriv_asked, unpriv_verdict) = (true, true);
                }
                "test_expect_msg" => msgs.push(parse_msg(tag, value)?),
                "test_expect_msg_unpriv" => {
                    unpriv_msgs.push(parse_msg(tag, value)?);
                    unpriv_asked = true;
                }
                "test_retval" => spec.privileged.retval = Some(parse_retval(tag, value)?),
                "test_retval_unpriv" => {
                    unpriv.retval = Some(parse_retval(tag, value)?);
                    unpriv_asked = true;
                }
                "test_log_level" => {
                    spec.log_level = value.parse().map_err(|_| SpecError {
                        tag: tag.to_owned(),
                        why: "the log level is not a number",
                    })?;
                }
                "test_prog_flags" => spec.prog_flags.push(value.to_owned()),
                "test_description" => spec.description = Some(value.to_owned()),
                "test_auxiliary" => {
                    spec.auxiliary = true;
                    spec.auxiliary_priv = true;
                }
                "test_auxiliary_unpriv" => {
                    spec.auxiliary = true;
                    spec.auxiliary_unpriv = true;
                }
                "test_expect_xlated" | "test_expect_xlated_unpriv" => spec.unchecked.push("xlated"),
                "test_jited" | "test_jited_unpriv" => spec.unchecked.push("jited"),
                "test_arch" => spec.unchecked.push("arch"),
                "test_btf_path" => spec.unchecked.push("btf_path"),
                _ => {
                    return Err(SpecError {
                        tag: tag.to_owned(),
                        why: "unknown test tag",
                    })
                }
            }
        }
        // Tags carry their order in N (the compiler does not keep declaration order).
        msgs.sort_by_key(|(n, _)| *n);
        unpriv_msgs.sort_by_key(|(n, _)| *n);
        spec.privileged.msgs = msgs.into_iter().map(|(_, m)| m).collect();
        spec.unchecked.dedup();
        if unpriv_asked {
            if !unpriv_verdict {
                unpriv.failure = spec.privileged.failure;
            }
            unpriv.msgs = if unpriv_msgs.is_empty() {
                spec.privileged.msgs.clone()
            } else {
                unpriv_msgs.into_iter().map(|(_, m)| m).collect()
            };
            if unpriv.retval.is_none() {
                unpriv.retval = spec.privileged.retval.clone();
            }
            spec.unprivileged = Some(unpriv);
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_give_both_modes_with_defaults_from_the_privileged_one() {
        let spec = TestSpec::from_tags(&[
            "test_expect_failure",
            "test_expect_msg=12=second",
            "test_expect_msg=3=first",
            "test_expect_success_unpriv",
            "test_retval=-1",
            "test_description=some name",
        ])
        .expect("parses");
        assert!(spec.privileged.failure);
        assert_eq!(spec.privileged.msgs, ["first", "second"]);
        assert_eq!(spec.privileged.retval, Some(Retval::Value(-1)));
        let unpriv = spec.unprivileged.expect("unprivileged mode");
        assert!(!unpriv.failure);
        assert_eq!(unpriv.msgs, ["first", "second"]);
        assert_eq!(spec.description.as_deref(), Some("some name"));
    }

    #[test]
    fn no_unpriv_tag_means_no_unprivileged_mode() {
        let spec = TestSpec::from_tags(&["test_expect_msg=1=x"]).expect("parses");
        assert!(!spec.privileged.failure);
        assert!(spec.unprivileged.is_none());
    }

    #[test]
    fn malformed_tags_are_errors() {
        assert!(TestSpec::from_tags(&["test_expect_msg=x"]).is_err());
        assert!(TestSpec::from_tags(&["test_retval=abc"]).is_err());
        assert!(TestSpec::from_tags(&["test_log_level=two"]).is_err());
        assert!(TestSpec::from_tags(&["test_what"]).is_err());
    }
}
