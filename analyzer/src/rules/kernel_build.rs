//! What one kernel build withdraws from BPF programs that its release would otherwise offer.
//!
//! The release profiles (`--kernel X.Y`) describe a kernel built with everything BPF can use.
//! Real builds differ in two ways the verifier sees:
//! - **lockdown**: a locked-down kernel's `*_func_proto` functions return no prototype for the
//!   helpers that write user memory (integrity level and above) or read kernel memory
//!   (confidentiality level), so the verifier refuses the call as if the helper did not exist.
//!   The level comes from the build (`CONFIG_LOCK_DOWN_KERNEL_FORCE_*`) or from boot (the
//!   `lockdown=` parameter, or distributions that lock down under UEFI Secure Boot), which a
//!   `.config` cannot show: hence a separate `--lockdown`.
//! - **configuration**: some helpers are compiled in only with an option
//!   (`bpf_override_return` needs `CONFIG_BPF_KPROBE_OVERRIDE`), and `fmod_ret` programs attach
//!   to kernel functions other than `security_*` hooks only through the error-injection list,
//!   which exists only with `CONFIG_FUNCTION_ERROR_INJECTION`.
//!
//! [`KernelBuild::default`] is the full build the profiles assume; `from_config` reads a
//! kernel `.config`, where an option that is absent is not set (kconfig omits options whose
//! dependencies are unmet).

use std::fmt;

/// The kernel lockdown levels, weakest first (`security/lockdown`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Lockdown {
    #[default]
    None,
    Integrity,
    Confidentiality,
}

impl Lockdown {
    /// The level named as in `/sys/kernel/security/lockdown` and the `lockdown=` parameter.
    pub fn by_name(name: &str) -> Option<Lockdown> {
        match name {
            "none" => Some(Lockdown::None),
            "integrity" => Some(Lockdown::Integrity),
            "confidentiality" => Some(Lockdown::Confidentiality),
            _ => None,
        }
    }
}

impl fmt::Display for Lockdown {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Lockdown::None => "none",
            Lockdown::Integrity => "integrity",
            Lockdown::Confidentiality => "confidentiality",
        })
    }
}

/// The facts of one kernel build that change which helpers the verifier offers.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct KernelBuild {
    pub lockdown: Lockdown,
    /// `CONFIG_BPF_KPROBE_OVERRIDE`: kprobe programs may call `bpf_override_return`.
    pub kprobe_override: bool,
    /// `CONFIG_FUNCTION_ERROR_INJECTION`: `fmod_ret` programs may attach to the functions on
    /// the error-injection list (without it, only to `security_*` hooks).
    pub error_injection: bool,
}

impl Default for KernelBuild {
    fn default() -> Self {
        KernelBuild {
            lockdown: Lockdown::None,
            kprobe_override: true,
            error_injection: true,
        }
    }
}

/// A file given as a kernel configuration that does not read as one.
#[derive(Debug, thiserror::Error)]
#[error("not a kernel configuration: no `CONFIG_...=` or `# CONFIG_... is not set` line")]
pub struct NotAConfig;

/// The options of a `.config` that are set (`=y`, `=m` or a value), by name.
fn set_options(text: &str) -> Result<std::collections::BTreeSet<&str>, NotAConfig> {
    let mut set = std::collections::BTreeSet::new();
    let mut seen_any = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with("# CONFIG_") && line.ends_with(" is not set") {
            seen_any = true;
        } else if let Some((name, value)) = line.split_once('=') {
            if name.starts_with("CONFIG_") && !name.contains(char::is_whitespace) {
                seen_any = true;
                if value != "n" {
                    set.insert(name);
                }
            }
        }
    }
    if seen_any {
        Ok(set)
    } else {
        Err(NotAConfig)
    }
}

/// Helpers a lockdown level withdraws, with the lowest level that withdraws each (the
/// kernel's `LOCKDOWN_BPF_WRITE_USER` is an integrity reason, `LOCKDOWN_BPF_READ_KERNEL` a
/// confidentiality one). Names without the `bpf_` prefix, as in [`crate::rules::HELPERS`].
const LOCKDOWN_WITHDRAWS: &[(&str, Lockdown)] = &[
    ("probe_write_user", Lockdown::Integrity),
    ("probe_read", Lockdown::Confidentiality),
    ("probe_read_str", Lockdown::Confidentiality),
    ("probe_read_kernel", Lockdown::Confidentiality),
    ("probe_read_kernel_str", Lockdown::Confidentiality),
];

impl KernelBuild {
    /// The options names that this reads from a `.config`, for tools that keep only those.
    pub const CONFIG_OPTIONS: &'static [&'static str] = &[
        "CONFIG_BPF_KPROBE_OVERRIDE",
        "CONFIG_FUNCTION_ERROR_INJECTION",
        "CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY",
        "CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY",
    ];

    /// The build a kernel `.config` describes. Its lockdown is the level the build forces;
    /// a level set at boot is given apart (see the module doc).
    pub fn from_config(text: &str) -> Result<KernelBuild, NotAConfig> {
        let set = set_options(text)?;
        let lockdown = if set.contains("CONFIG_LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY") {
            Lockdown::Confidentiality
        } else if set.contains("CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY") {
            Lockdown::Integrity
        } else {
            Lockdown::None
        };
        Ok(KernelBuild {
            lockdown,
            kprobe_override: set.contains("CONFIG_BPF_KPROBE_OVERRIDE"),
            error_injection: set.contains("CONFIG_FUNCTION_ERROR_INJECTION"),
        })
    }

    /// Why this build refuses an `fmod_ret` program attached to `target`, if it does: with no
    /// error-injection list only the `security_*` hooks may have their return value modified.
    pub fn refuses_modify_return(&self, target: &str) -> Option<String> {
        (!self.error_injection && !target.starts_with("security_")).then(|| {
            format!(
                "fmod_ret may attach to {target} only through the error-injection list, which kernels built without CONFIG_FUNCTION_ERROR_INJECTION do not have (only security_* hooks remain)"
            )
        })
    }

    /// Why this build refuses a sleepable `fentry.s` / `fexit.s` / `fmod_ret.s` program
    /// attached to `target`, if it does (the kernel's `bpf_check_attach_target`): such a
    /// program may attach to the functions on the error-injection list, which a build without
    /// `CONFIG_FUNCTION_ERROR_INJECTION` does not have, or to those a kernel subsystem lists
    /// as sleepable modify-return targets (`register_btf_fmodret_id_set` with
    /// `KF_SLEEPABLE`: only `bpf_fentry_test1`, the test-run target, in 6.12 and 6.18). With
    /// the list bpfvet cannot tell which functions are on it and refuses none.
    pub fn refuses_sleepable_target(&self, target: &str) -> Option<String> {
        const SLEEPABLE_FMODRET_TARGETS: &[&str] = &["bpf_fentry_test1"];
        (!self.error_injection && !SLEEPABLE_FMODRET_TARGETS.contains(&target)).then(|| {
            format!(
                "a sleepable tracing program may attach to {target} only through the error-injection list, which kernels built without CONFIG_FUNCTION_ERROR_INJECTION do not have"
            )
        })
    }

    /// Why this build offers no `bpf_<helper>` although the release would, if it does not.
    pub fn withdraws(&self, helper: &str) -> Option<String> {
        if let Some((_, level)) = LOCKDOWN_WITHDRAWS
            .iter()
            .find(|(name, level)| *name == helper && self.lockdown >= *level)
        {
            return Some(format!(
                "the kernel is locked down ({}), and lockdown from the {level} level on withdraws bpf_{helper}",
                self.lockdown
            ));
        }
        if helper == "override_return" && !self.kprobe_override {
            return Some(
                "bpf_override_return exists only in kernels built with CONFIG_BPF_KPROBE_OVERRIDE, which this build lacks"
                    .to_owned(),
            );
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forced_integrity_build_withdraws_user_writes_only() {
        let build = KernelBuild::from_config(
            "CONFIG_SECURITY_LOCKDOWN_LSM=y\nCONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY=y\n",
        )
        .expect("a config");
        assert_eq!(build.lockdown, Lockdown::Integrity);
        assert!(build.withdraws("probe_write_user").is_some());
        assert!(build.withdraws("probe_read_kernel").is_none());
        // Absent from the file: not set.
        assert!(build.withdraws("override_return").is_some());
    }

    #[test]
    fn confidentiality_also_withdraws_kernel_reads() {
        let build = KernelBuild {
            lockdown: Lockdown::Confidentiality,
            ..KernelBuild::default()
        };
        assert!(build.withdraws("probe_read_kernel_str").is_some());
        assert!(build.withdraws("probe_write_user").is_some());
        assert!(build.withdraws("probe_read_user").is_none());
    }

    #[test]
    fn options_set_to_n_or_commented_out_are_not_set() {
        let build = KernelBuild::from_config(
            "# CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY is not set\nCONFIG_BPF_KPROBE_OVERRIDE=y\nCONFIG_FUNCTION_ERROR_INJECTION=y\n",
        )
        .expect("a config");
        assert_eq!(build, KernelBuild::default());
        let n = KernelBuild::from_config("CONFIG_BPF_KPROBE_OVERRIDE=n\n").expect("a config");
        assert!(!n.kprobe_override);
    }

    #[test]
    fn without_error_injection_only_security_hooks_are_modifiable() {
        let build = KernelBuild::from_config("CONFIG_BPF_KPROBE_OVERRIDE=y\n").expect("a config");
        assert!(build.refuses_modify_return("__x64_sys_nanosleep").is_some());
        assert!(build.refuses_modify_return("security_file_open").is_none());
        assert!(KernelBuild::default()
            .refuses_modify_return("__x64_sys_nanosleep")
            .is_none());
    }

    #[test]
    fn without_error_injection_sleepable_tracing_keeps_only_the_test_run_target() {
        let build = KernelBuild::from_config("CONFIG_BPF_KPROBE_OVERRIDE=y\n").expect("a config");
        assert!(build
            .refuses_sleepable_target("__x64_sys_getpgid")
            .is_some());
        assert!(build
            .refuses_sleepable_target("security_file_open")
            .is_some());
        assert!(build.refuses_sleepable_target("bpf_fentry_test1").is_none());
        assert!(KernelBuild::default()
            .refuses_sleepable_target("__x64_sys_getpgid")
            .is_none());
    }

    #[test]
    fn other_text_is_not_a_config() {
        assert!(KernelBuild::from_config("hello\nworld=1\n").is_err());
        assert!(KernelBuild::from_config("").is_err());
    }

    #[test]
    fn every_withdrawn_helper_is_a_known_helper() {
        for (name, _) in LOCKDOWN_WITHDRAWS {
            assert!(
                crate::rules::HELPERS.iter().any(|h| h.name == *name),
                "{name}"
            );
        }
    }

    #[test]
    fn the_default_build_withdraws_nothing() {
        let build = KernelBuild::default();
        for h in crate::rules::HELPERS {
            assert!(build.withdraws(h.name).is_none(), "{}", h.name);
        }
    }
}
