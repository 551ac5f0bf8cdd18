//! Loads as an unprivileged user makes them: the `kernel.unprivileged_bpf_disabled` sysctl
//! opened for the run, and each load made by a thread that gave up root.
//!
//! How an unprivileged load is made faithfully, and simply: the whole libbpf load (feature
//! probes, map creation, BTF, `BPF_PROG_LOAD`) runs in a fresh thread whose credentials were
//! dropped to uid/gid 65534 with no capabilities (Linux credentials are per thread, see
//! [`crate::sys::drop_thread_privileges`]). The maps are therefore created unprivileged too,
//! as the kernel selftests' loader does (it drops its capabilities before `bpf_object__load`):
//! an array or hash map is allowed, a map type that needs `CAP_BPF` is refused at map creation,
//! exactly as an unprivileged user would see it. The rest of the process stays root, so the
//! sysctl can be restored afterwards.

use std::sync::Mutex;

use crate::probe::Unavailable;
use crate::sys;

const SYSCTL: &str = "/proc/sys/kernel/unprivileged_bpf_disabled";

/// How many sessions are open in this process, and the sysctl value to restore when the last
/// one closes (`Some` only when a session changed it).
static SESSIONS: Mutex<(usize, Option<String>)> = Mutex::new((0, None));

/// While it lives, unprivileged `bpf()` is allowed (see [`unprivileged_session`]).
#[derive(Debug)]
pub struct UnprivilegedSession {
    /// What was done to the sysctl, for the user to be told.
    pub note: Option<String>,
}

fn read_sysctl() -> Option<String> {
    std::fs::read_to_string(SYSCTL)
        .ok()
        .map(|it| it.trim().to_owned())
}

/// Opens a session in which unprivileged `bpf()` works: when `kernel.unprivileged_bpf_disabled`
/// is 2 (disabled, but root may enable it) it is set to 0 and set back to 2 when the last
/// session of the process is dropped. Sessions nest; only the outermost changes the sysctl.
///
/// # Errors
/// [`Unavailable::UnprivilegedDisabled`] when the sysctl is 1 (disabled until reboot), cannot
/// be read, or cannot be written (not root).
pub fn unprivileged_session() -> Result<UnprivilegedSession, Unavailable> {
    let mut sessions = SESSIONS
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if sessions.0 > 0 {
        sessions.0 += 1;
        return Ok(UnprivilegedSession { note: None });
    }
    let note = match read_sysctl().as_deref() {
        Some("0") => None,
        Some("1") => {
            return Err(Unavailable::UnprivilegedDisabled(
                "kernel.unprivileged_bpf_disabled = 1: unprivileged BPF is disabled until \
                 reboot, so the kernel cannot judge unprivileged loads on this machine"
                    .to_owned(),
            ))
        }
        Some("2") => {
            std::fs::write(SYSCTL, "0").map_err(|e| {
                Unavailable::UnprivilegedDisabled(format!(
                    "kernel.unprivileged_bpf_disabled = 2 and it cannot be set to 0 for the run \
                     ({e}); run as root"
                ))
            })?;
            sessions.1 = Some("2".to_owned());
            Some(
                "kernel.unprivileged_bpf_disabled was 2: set to 0 for this run, restored to 2 \
                 afterwards"
                    .to_owned(),
            )
        }
        other => {
            return Err(Unavailable::UnprivilegedDisabled(format!(
                "kernel.unprivileged_bpf_disabled is {}: unprivileged loads cannot be judged",
                other.unwrap_or("unreadable")
            )))
        }
    };
    sessions.0 = 1;
    Ok(UnprivilegedSession { note })
}

impl Drop for UnprivilegedSession {
    fn drop(&mut self) {
        let mut sessions = SESSIONS
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        sessions.0 = sessions.0.saturating_sub(1);
        if sessions.0 == 0 {
            if let Some(old) = sessions.1.take() {
                // Nothing more can be done if this fails; the next session will see 0 and
                // leave it, which is what the failure left.
                let _ = std::fs::write(SYSCTL, old);
            }
        }
    }
}

/// One value of a `Name:\tvalue` line of `/proc/thread-self/status`.
fn thread_status(field: &str) -> Option<String> {
    let status = std::fs::read_to_string("/proc/thread-self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .map(|it| it.trim().to_owned())
}

/// Drops the calling thread's privileges and checks, from what the kernel reports for the
/// thread, that it has neither root's uid nor any capability left.
pub(crate) fn become_unprivileged() -> Result<(), String> {
    sys::drop_thread_privileges()
        .map_err(|e| format!("dropping to uid {}: {e}", sys::UNPRIVILEGED_ID))?;
    let uid = thread_status("Uid").unwrap_or_default();
    let caps = [thread_status("CapEff"), thread_status("CapPrm")];
    let no_caps = caps
        .iter()
        .all(|c| c.as_deref().and_then(|it| u64::from_str_radix(it, 16).ok()) == Some(0));
    if uid.split_whitespace().any(|it| it == "0") || !no_caps {
        return Err(format!(
            "the loader thread kept privileges after dropping them (Uid {uid}, CapEff/CapPrm {caps:?})"
        ));
    }
    Ok(())
}
