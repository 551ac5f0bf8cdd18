//! Rules that depend on what a program attaches to: the LSM hooks BPF may not use, the
//! functions whose programs may call `bpf_d_path`, and the values an LSM program may return
//! for its hook.

use super::Vm;
use crate::isa::InsnIdx;
use crate::prog_type::AttachType;
use crate::verifier::env::KernelVersion;
use crate::verifier::violation::{Code, Violation};

/// `bpf_d_path`'s helper id.
pub(super) const D_PATH: u32 = 147;

/// The kernel functions a tracing program calling `bpf_d_path` may attach to (the kernel's
/// `btf_allowlist_d_path` as 6.1 and 6.12 have it; older releases listed fewer).
pub(super) const D_PATH_TARGETS: &[&str] = &[
    "security_file_permission",
    "security_inode_getattr",
    "security_file_open",
    "security_path_truncate",
    "vfs_truncate",
    "vfs_fallocate",
    "dentry_open",
    "vfs_getattr",
    "filp_close",
];

/// The LSM hooks the kernel keeps from BPF programs (`bpf_lsm_disabled_hooks`; Debian's 6.1
/// and 6.12 both refuse the selftests' three). `key_getsecurity` and `audit_rule_match` are
/// listed when the kernel has keys and audit, as distribution kernels do.
const DISABLED_LSM_HOOKS: &[&str] = &[
    "vm_enough_memory",
    "inode_need_killpriv",
    "inode_getsecurity",
    "inode_listsecurity",
    "inode_copy_up_xattr",
    "getselfattr",
    "getprocattr",
    "setprocattr",
    "key_getsecurity",
    "audit_rule_match",
    "ismaclabel",
];

/// The kernel's refusal of an LSM program attached to a hook BPF may not use, if it is one.
pub fn disabled_lsm_hook(input: &crate::verifier::env::Input<'_>) -> Option<Violation> {
    if !matches!(
        input.attach,
        Some(AttachType::LsmMac | AttachType::LsmCgroup)
    ) {
        return None;
    }
    let hook = input
        .attach_target
        .filter(|t| DISABLED_LSM_HOOKS.contains(t))?;
    let func = format!("bpf_lsm_{hook}");
    let id = input
        .kernel_btf
        .and_then(|k| k.find_by_name(&func, "func"))
        .map_or_else(|| "N".to_string(), |id| id.0.to_string());
    Some(*Violation::new(
        Code::AttachRefused,
        InsnIdx(0),
        format!("the kernel keeps the LSM hook {hook} from BPF programs: it refuses this one before verifying it"),
        format!("attach_btf_id {id} points to disabled hook {func}"),
    ))
}

/// The kernel's refusal of a sleepable `fentry`/`fexit`/`fmod_ret` program whose target this
/// build does not let sleep (`bpf_check_attach_target`, before it looks at `fmod_ret`'s
/// modifiability), if it is one.
pub fn unsleepable_target(
    input: &crate::verifier::env::Input<'_>,
    build: &crate::rules::kernel_build::KernelBuild,
) -> Option<Violation> {
    if !input.sleepable
        || !matches!(
            input.attach,
            Some(AttachType::TraceFentry | AttachType::TraceFexit | AttachType::ModifyReturn)
        )
    {
        return None;
    }
    let target = input.attach_target?;
    let why = build.refuses_sleepable_target(target)?;
    Some(*Violation::new(
        Code::AttachRefused,
        InsnIdx(0),
        why,
        format!("{target} is not sleepable"),
    ))
}

/// The kernel's refusal of an `fmod_ret` program whose target this build cannot modify
/// (`check_attach_modify_return`), if it is one.
pub fn unmodifiable_target(
    input: &crate::verifier::env::Input<'_>,
    build: &crate::rules::kernel_build::KernelBuild,
) -> Option<Violation> {
    if input.attach != Some(AttachType::ModifyReturn) {
        return None;
    }
    let target = input.attach_target?;
    let why = build.refuses_modify_return(target)?;
    Some(*Violation::new(
        Code::AttachRefused,
        InsnIdx(0),
        why,
        format!("{target}() is not modifiable"),
    ))
}

impl Vm<'_> {
    /// Whether `bpf_d_path` is offered here: tracing programs attached to the functions on the
    /// kernel's allow list, iterators, and LSM programs (the kernel further limits those to
    /// sleepable hooks, which bpfvet does not list yet).
    pub(super) fn d_path_allowed(&self) -> bool {
        match self.input.attach {
            Some(AttachType::TraceIter | AttachType::LsmMac | AttachType::LsmCgroup) => true,
            Some(AttachType::TraceFentry | AttachType::TraceFexit | AttachType::ModifyReturn) => {
                self.input
                    .attach_target
                    .is_some_and(|t| D_PATH_TARGETS.contains(&t))
            }
            _ => true,
        }
    }

    /// What an LSM program may return, from 6.11: 0 or 1 for the hooks the kernel lists as
    /// boolean, 0 or a negative errno for the others; hooks that return nothing are not
    /// checked. Measured: the 6.12 kernel rejects the selftests' out-of-range returns, 6.1
    /// accepts them. Needs the kernel's BTF to tell void hooks.
    pub(super) fn lsm_ret_range(&self) -> Option<(i64, i64)> {
        /// Hooks whose `int` result the kernel reads as a boolean.
        const BOOL_LSM_HOOKS: &[&str] = &["audit_rule_known", "inode_xattr_skipcap"];
        const MAX_ERRNO: i64 = 4095;
        if self.input.attach != Some(AttachType::LsmMac)
            || self.opts.kernel < KernelVersion::new(6, 11)
        {
            return None;
        }
        let target = self.input.attach_target?;
        let kernel = self.input.kernel_btf?;
        if crate::verifier::btf_ctx::returns_void(kernel, &format!("bpf_lsm_{target}"))? {
            return None;
        }
        Some(if BOOL_LSM_HOOKS.contains(&target) {
            (0, 1)
        } else {
            (-MAX_ERRNO, 0)
        })
    }

    /// Whether an LSM program's pointer arguments are trusted (the kernel's
    /// `bpf_lsm_is_trusted`): on every hook but those that see an object being created or
    /// freed. The list holds every hook some release marks so (the bdev ones came later), so
    /// no release trusts less than this says. Before 6.4 they are left untrusted (the safe side).
    pub(super) fn lsm_args_trusted(&self) -> bool {
        const UNTRUSTED_LSM_HOOKS: &[&str] = &[
            "bpf_map_free",
            "bpf_map_free_security",
            "bpf_prog_free",
            "bpf_prog_free_security",
            "bpf_prog_alloc_security",
            "file_alloc_security",
            "file_free_security",
            "sk_alloc_security",
            "sk_free_security",
            "task_free",
            "bdev_alloc_security",
            "bdev_free_security",
            "namespace_free",
        ];
        matches!(
            self.input.attach,
            Some(AttachType::LsmMac | AttachType::LsmCgroup)
        ) && self.opts.kernel >= KernelVersion::new(6, 4)
            && self
                .input
                .attach_target
                .is_some_and(|t| !UNTRUSTED_LSM_HOOKS.contains(&t))
    }
}
