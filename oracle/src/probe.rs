//! Is the live verifier usable here? A raw `BPF_PROG_LOAD` of `r0 = 0; exit` says, and when it
//! does not, the process's credentials and the kernel's sysctls say why.
//!
//! Being able to load that socket filter is not enough: unprivileged users may load socket
//! filters when `kernel.unprivileged_bpf_disabled` is 0, but nothing else. So the probe also
//! requires the capabilities a loader of arbitrary program types needs.

use serde::Serialize;

use crate::sys;
use crate::verdict::Errno;

/// What the oracle knows about the running kernel.
#[derive(Debug, Clone, Serialize)]
pub struct KernelInfo {
    /// `uname -r`.
    pub release: String,
    /// Whether `/sys/kernel/btf/vmlinux` exists (CO-RE and BTF-typed programs need it).
    pub btf_vmlinux: bool,
    /// `/proc/sys/kernel/unprivileged_bpf_disabled`, when readable.
    pub unprivileged_bpf_disabled: Option<u32>,
}

/// Why the live verifier cannot be used; `Display` says exactly what to do about it.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Unavailable {
    /// `bpf()` returned `ENOSYS`.
    #[error("the running kernel ({release}) has no bpf() syscall (ENOSYS): it was built without CONFIG_BPF_SYSCALL")]
    NoSyscall {
        /// `uname -r`.
        release: String,
    },
    /// The process lacks the privileges.
    #[error("{0}")]
    NotPermitted(String),
    /// Unprivileged loads were asked for and `kernel.unprivileged_bpf_disabled` forbids them.
    #[error("{0}")]
    UnprivilegedDisabled(String),
    /// Any other failure of the trivial load.
    #[error("bpf(BPF_PROG_LOAD) of a trivial socket filter (r0 = 0; exit) failed with {errno} on kernel {release}")]
    Other {
        /// What the syscall returned.
        errno: Errno,
        /// `uname -r`.
        release: String,
    },
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|it| it.trim().to_owned())
}

/// The effective capability set of this process, from `/proc/self/status`.
fn cap_eff() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|it| it.strip_prefix("CapEff:"))?;
    u64::from_str_radix(line.trim(), 16).ok()
}

/// The effective user id, from `/proc/self/status` (its `Uid:` line: real, effective, ...).
fn euid() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find_map(|it| it.strip_prefix("Uid:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

const CAP_NET_ADMIN: u32 = 12;
const CAP_SYS_ADMIN: u32 = 21;
const CAP_PERFMON: u32 = 38;
const CAP_BPF: u32 = 39;

fn has_cap(caps: u64, cap: u32) -> bool {
    caps & (1u64 << cap) != 0
}

fn unpriv_text(v: Option<u32>) -> String {
    match v {
        Some(0) => "0 (unprivileged BPF allowed, but only socket filters)".to_owned(),
        Some(1) => "1 (unprivileged BPF disabled until reboot)".to_owned(),
        Some(2) => "2 (unprivileged BPF disabled; root can set it to 0)".to_owned(),
        Some(n) => n.to_string(),
        None => "unreadable".to_owned(),
    }
}

/// Checks that this process can load BPF programs of any type into the running kernel.
///
/// # Errors
/// [`Unavailable`] with the precise cause: no `bpf()` syscall, not root and unprivileged BPF
/// disabled (with the sysctl's value), root without `CAP_BPF`/`CAP_SYS_ADMIN` (a container),
/// or another errno.
pub fn kernel_available() -> Result<KernelInfo, Unavailable> {
    let release =
        read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| "unknown".to_owned());
    let unpriv =
        read_trimmed("/proc/sys/kernel/unprivileged_bpf_disabled").and_then(|it| it.parse().ok());
    let info = KernelInfo {
        release: release.clone(),
        btf_vmlinux: std::path::Path::new("/sys/kernel/btf/vmlinux").exists(),
        unprivileged_bpf_disabled: unpriv,
    };
    let euid = euid();
    let caps = cap_eff().unwrap_or(0);
    let who = match euid {
        Some(0) => "root".to_owned(),
        Some(n) => format!("euid {n}"),
        None => "unknown user".to_owned(),
    };
    let privileged = has_cap(caps, CAP_SYS_ADMIN)
        || (has_cap(caps, CAP_BPF) && has_cap(caps, CAP_PERFMON) && has_cap(caps, CAP_NET_ADMIN));
    match sys::probe_trivial_load() {
        Ok(()) if privileged => Ok(info),
        Ok(()) => Err(Unavailable::NotPermitted(format!(
            "bpf() works but this process ({who}, CapEff={caps:#x}) lacks CAP_SYS_ADMIN or \
             CAP_BPF+CAP_PERFMON+CAP_NET_ADMIN: only unprivileged socket filters could be loaded \
             (kernel.unprivileged_bpf_disabled = {}); run as root",
            unpriv_text(unpriv)
        ))),
        Err(Errno(libc::ENOSYS)) => Err(Unavailable::NoSyscall { release }),
        Err(Errno(libc::EPERM)) if euid != Some(0) => Err(Unavailable::NotPermitted(format!(
            "bpf() denied (EPERM): this process is not root ({who}) and \
             kernel.unprivileged_bpf_disabled = {}; run as root",
            unpriv_text(unpriv)
        ))),
        Err(Errno(libc::EPERM)) if !privileged => Err(Unavailable::NotPermitted(format!(
            "bpf() denied (EPERM): running as root but without CAP_BPF or CAP_SYS_ADMIN \
             (CapEff={caps:#x}), as in a container started without them"
        ))),
        Err(Errno(libc::EPERM)) => {
            let lockdown = read_trimmed("/sys/kernel/security/lockdown").unwrap_or_default();
            Err(Unavailable::NotPermitted(format!(
                "bpf() denied (EPERM) although running as root with CAP_SYS_ADMIN: a seccomp \
                 filter or an LSM refuses it (lockdown: {})",
                if lockdown.is_empty() {
                    "unknown"
                } else {
                    &lockdown
                }
            )))
        }
        Err(errno) => Err(Unavailable::Other { errno, release }),
    }
}
