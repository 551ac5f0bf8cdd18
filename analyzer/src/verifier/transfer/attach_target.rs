//! Rules that depend on what a program attaches to: the functions whose programs may call
//! `bpf_d_path`, and the values an LSM program may return for its hook.

use super::Vm;
use crate::prog_type::AttachType;
use crate::verifier::env::KernelVersion;

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
}
