//! The kernel's verdict on one program, and the parsing of the verifier log into it.
//!
//! A verdict is one of three outcomes, kept apart on purpose:
//! - **accepted**: `BPF_PROG_LOAD` returned an fd;
//! - **rejected**: the verifier (`bpf_check`) ran and said no; its reason is the last meaningful
//!   line of its log;
//! - **refused**: the program never reached the verifier, because libbpf could not open the
//!   object, create a map, resolve CO-RE, an extern or an attach target, or the kernel turned
//!   down `BPF_PROG_LOAD` before `bpf_check` (program type, attach type, size, capability).
//!
//! How "the verifier ran" is decided: every load asks for `BPF_LOG_STATS` (log level bit 4), and
//! `bpf_check` prints its statistics on every path that leaves it, including its early exits.
//! So a failed load whose log has the `processed N insns` line was rejected by the verifier,
//! and one without it was refused before.

use serde::Serialize;

/// An errno value, printed with its symbolic name (`EACCES`), including the kernel-internal
/// `ENOTSUPP` (524) that the BPF syscall leaks to user space.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

impl Errno {
    /// The calling thread's `errno`.
    #[must_use]
    pub fn last() -> Errno {
        Errno(std::io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }

    /// `Ok(())` for a non-negative libbpf-style return value, `Err(Errno(-ret))` otherwise.
    pub(crate) fn check(ret: libc::c_int) -> Result<(), Errno> {
        if ret < 0 {
            Err(Errno(-ret))
        } else {
            Ok(())
        }
    }

    /// The symbolic name, such as `EACCES`, or `errno N` for one this table does not know.
    #[must_use]
    pub fn name(self) -> String {
        let known = match self.0 {
            libc::EPERM => "EPERM",
            libc::ENOENT => "ENOENT",
            libc::ESRCH => "ESRCH",
            libc::EINTR => "EINTR",
            libc::EIO => "EIO",
            libc::ENXIO => "ENXIO",
            libc::E2BIG => "E2BIG",
            libc::EBADF => "EBADF",
            libc::EAGAIN => "EAGAIN",
            libc::ENOMEM => "ENOMEM",
            libc::EACCES => "EACCES",
            libc::EFAULT => "EFAULT",
            libc::EBUSY => "EBUSY",
            libc::EEXIST => "EEXIST",
            libc::ENODEV => "ENODEV",
            libc::EINVAL => "EINVAL",
            libc::EMFILE => "EMFILE",
            libc::EFBIG => "EFBIG",
            libc::ENOSPC => "ENOSPC",
            libc::ERANGE => "ERANGE",
            libc::EDEADLK => "EDEADLK",
            libc::ENOSYS => "ENOSYS",
            libc::ELOOP => "ELOOP",
            libc::ENOTSUP => "EOPNOTSUPP",
            libc::EPROTO => "EPROTO",
            libc::EBADMSG => "EBADMSG",
            libc::EOVERFLOW => "EOVERFLOW",
            libc::EILSEQ => "EILSEQ",
            libc::ENOTCONN => "ENOTCONN",
            libc::ELIBBAD => "ELIBBAD",
            libc::EUCLEAN => "EUCLEAN",
            524 => "ENOTSUPP",
            // libbpf's own codes (LIBBPF_ERRNO__*), returned by bpf_object__open on bad ELF.
            4000 => "LIBBPF_ERRNO__LIBELF",
            4001 => "LIBBPF_ERRNO__FORMAT",
            4002 => "LIBBPF_ERRNO__KVERSION",
            4003 => "LIBBPF_ERRNO__ENDIAN",
            4004 => "LIBBPF_ERRNO__INTERNAL",
            4005 => "LIBBPF_ERRNO__RELOC",
            4006 => "LIBBPF_ERRNO__LOAD",
            4007 => "LIBBPF_ERRNO__VERIFY",
            4008 => "LIBBPF_ERRNO__PROG2BIG",
            4009 => "LIBBPF_ERRNO__KVER",
            4010 => "LIBBPF_ERRNO__PROGTYPE",
            4011 => "LIBBPF_ERRNO__WRNGPID",
            4012 => "LIBBPF_ERRNO__INVSEQ",
            4013 => "LIBBPF_ERRNO__NLPARSE",
            _ => return format!("errno {}", self.0),
        };
        known.to_owned()
    }
}

impl std::fmt::Display for Errno {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name())
    }
}

impl Serialize for Errno {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name())
    }
}

/// Where, before the verifier, a program was turned down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RefusalStage {
    /// libbpf could not open the object (malformed ELF, legacy `SEC("maps")` definitions, ...).
    Open,
    /// A map could not be created (or a BTF-defined map was malformed).
    MapCreate,
    /// A CO-RE relocation, an extern (kconfig or ksym) or another relocation could not be
    /// resolved against the running kernel.
    Relocation,
    /// The attach target named by the section (`fentry/FUNC`, `lsm/HOOK`, ...) was not found.
    AttachTarget,
    /// The kernel refused `BPF_PROG_LOAD` before running the verifier (unknown or unsupported
    /// program or attach type, too many instructions, missing capability, ...).
    ProgLoad,
    /// Some other step of libbpf's `bpf_object__load` failed; the messages say which.
    Load,
}

impl RefusalStage {
    /// The stable kebab-case name used in human, JSON and snapshot output.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RefusalStage::Open => "open",
            RefusalStage::MapCreate => "map-create",
            RefusalStage::Relocation => "relocation",
            RefusalStage::AttachTarget => "attach-target",
            RefusalStage::ProgLoad => "prog-load",
            RefusalStage::Load => "load",
        }
    }
}

/// What a verifier rejection objects to.
///
/// The kernel checks helper and kfunc availability inside the verifier, when it reaches the
/// call (so the log has processed instructions and statistics), and libbpf turns a CO-RE
/// relocation it could not resolve into a poisoned call that the verifier rejects only if it is
/// reachable. Both are therefore verifier rejections, told apart from the others by their
/// reason line so that a caller can treat them as "not runnable here" rather than "unsafe".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum RejectKind {
    /// Any other objection of the verifier (memory safety, bounds, loops, complexity, ...).
    Verifier,
    /// A helper or kfunc the program type (or license) may not call: `program of this type
    /// cannot use helper`, `unknown func`, `cannot call GPL-restricted function`,
    /// `calling kernel function ... is not allowed`, `invalid func unknown#N` (a helper id this
    /// kernel does not have).
    HelperUnavailable,
    /// A CO-RE relocation, map or kfunc reference libbpf could not resolve and poisoned
    /// (libbpf rewrites the log line to `failed to resolve CO-RE relocation ...`).
    UnresolvedRelocation,
}

impl RejectKind {
    /// The stable kebab-case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RejectKind::Verifier => "verifier",
            RejectKind::HelperUnavailable => "helper-unavailable",
            RejectKind::UnresolvedRelocation => "unresolved-relocation",
        }
    }
}

/// The kernel's verdict proper.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "verdict", rename_all = "kebab-case")]
pub enum Outcome {
    /// `BPF_PROG_LOAD` succeeded.
    Accepted,
    /// The verifier ran and rejected the program.
    Rejected {
        /// What `BPF_PROG_LOAD` returned (usually `EACCES`, sometimes `EINVAL`, `E2BIG`, ...).
        errno: Errno,
        /// What kind of objection, read from the reason line.
        kind: RejectKind,
        /// The verifier's reason: the last line of the log before its statistics trailer.
        reason: String,
    },
    /// The program never reached the verifier.
    Refused {
        /// The step that failed.
        stage: RefusalStage,
        /// The errno of that step, when there is one.
        errno: Option<Errno>,
        /// libbpf's explanation (its first warning), or a description of the errno.
        reason: String,
    },
}

impl Outcome {
    /// `accepted`, `rejected` or `refused`: the names the corpus manifest uses, less the `-ed`
    /// mismatch (`accept`/`reject` there), see [`Outcome::expectation_word`].
    #[must_use]
    pub fn word(&self) -> &'static str {
        match self {
            Outcome::Accepted => "accepted",
            Outcome::Rejected { .. } => "rejected",
            Outcome::Refused { .. } => "refused",
        }
    }

    /// The word `corpus/manifest.json` uses for this outcome: `accept`, `reject` or `refused`.
    #[must_use]
    pub fn expectation_word(&self) -> &'static str {
        match self {
            Outcome::Accepted => "accept",
            Outcome::Rejected { .. } => "reject",
            Outcome::Refused { .. } => "refused",
        }
    }

    /// The reason line (empty when accepted).
    #[must_use]
    pub fn reason(&self) -> &str {
        match self {
            Outcome::Accepted => "",
            Outcome::Rejected { reason, .. } | Outcome::Refused { reason, .. } => reason,
        }
    }

    /// One deterministic line: `accepted`, `rejected (EACCES): R0 !read_ok`,
    /// `refused at map-create (EINVAL): map 'm': failed to create: ...`.
    #[must_use]
    pub fn summary(&self) -> String {
        match self {
            Outcome::Accepted => "accepted".to_owned(),
            Outcome::Rejected {
                errno,
                kind: RejectKind::Verifier,
                reason,
            } => {
                format!("rejected ({errno}): {reason}")
            }
            Outcome::Rejected {
                errno,
                kind,
                reason,
            } => {
                format!("rejected ({errno}, {}): {reason}", kind.as_str())
            }
            Outcome::Refused {
                stage,
                errno: Some(e),
                reason,
            } => {
                format!("refused at {} ({e}): {reason}", stage.as_str())
            }
            Outcome::Refused {
                stage,
                errno: None,
                reason,
            } => {
                format!("refused at {}: {reason}", stage.as_str())
            }
        }
    }
}

/// The verifier's statistics (log level `BPF_LOG_STATS`).
///
/// Parsed from the trailer lines `verification time X usec`, `stack depth A+B` and
/// `processed N insns (limit L) max_states_per_insn M total_states T peak_states P mark_read R`.
/// A field the running kernel does not print is `None`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct VerifierStats {
    /// Instructions the verifier processed (counting every revisit on every path).
    pub processed_insns: u64,
    /// The complexity limit in force (1 000 000 for privileged loads).
    pub insn_limit: Option<u64>,
    /// The most states kept for one instruction.
    pub max_states_per_insn: Option<u64>,
    /// States created in total.
    pub total_states: Option<u64>,
    /// The most states alive at once.
    pub peak_states: Option<u64>,
    /// Register liveness marks (older kernels).
    pub mark_read: Option<u64>,
    /// Wall-clock verification time in microseconds (not deterministic).
    pub verification_time_us: Option<u64>,
    /// Stack depth of each subprogram, main program first.
    pub stack_depth: Vec<u64>,
}

/// The log's lines, trimmed, with the statistics trailer split off a line it was glued to.
///
/// Some verifier messages lack their final newline (6.18's `expected prog array map for tail
/// call`), so the `verification time` line that follows starts in the middle of their line.
fn log_lines(log: &str) -> impl Iterator<Item = &str> {
    log.lines().flat_map(|line| {
        let line = line.trim();
        match line.find("verification time ") {
            Some(at) if at > 0 => [line[..at].trim(), &line[at..]],
            _ => [line, ""],
        }
    })
}

/// Parses the statistics trailer of a verifier log; `None` when it has no `processed` line, that
/// is, when `bpf_check` did not run.
#[must_use]
pub fn parse_stats(log: &str) -> Option<VerifierStats> {
    let mut res: Option<VerifierStats> = None;
    let mut time = None;
    let mut stack = Vec::new();
    for line in log_lines(log) {
        if let Some(rest) = line.strip_prefix("verification time ") {
            time = rest
                .split_whitespace()
                .next()
                .and_then(|it| it.parse().ok());
        } else if let Some(rest) = line.strip_prefix("stack depth ") {
            stack = rest
                .split('+')
                .filter_map(|it| it.trim().parse().ok())
                .collect();
        } else if line.starts_with("processed ") && line.contains(" insns") {
            let words: Vec<&str> = line.split_whitespace().collect();
            let num = |key: &str| {
                let at = words.iter().position(|w| *w == key)?;
                words.get(at + 1)?.trim_end_matches(')').parse().ok()
            };
            let Some(processed_insns) = words.get(1).and_then(|it| it.parse().ok()) else {
                continue;
            };
            res = Some(VerifierStats {
                processed_insns,
                insn_limit: num("(limit"),
                max_states_per_insn: num("max_states_per_insn"),
                total_states: num("total_states"),
                peak_states: num("peak_states"),
                mark_read: num("mark_read"),
                ..VerifierStats::default()
            });
        }
    }
    let mut res = res?;
    res.verification_time_us = time;
    res.stack_depth = stack;
    Some(res)
}

/// Whether `line` belongs to the statistics trailer or other bookkeeping the verifier prints
/// after its reason.
fn is_trailer(line: &str) -> bool {
    const PREFIXES: [&str; 9] = [
        // The two states printed after `infinite loop detected at insn N`.
        "cur state:",
        "old state:",
        "processed ",
        "verification time ",
        "stack depth ",
        "max_states_per_insn",
        "Live regs before insn",
        "-- BEGIN PROG LOAD LOG --",
        "-- END PROG LOAD LOG --",
    ];
    line.is_empty()
        || PREFIXES.iter().any(|p| line.starts_with(p))
        || (line.starts_with("func#") && line.contains(" @"))
}

/// The verifier's reason: the last line of the log that is not part of its trailer.
#[must_use]
pub fn reason_line(log: &str) -> String {
    reason_lines(log, 1).pop().unwrap_or_default()
}

/// The last `n` lines of the log that are not part of its trailer, oldest first.
///
/// Recent kernels often print a specific line and then a generic one, as in
/// `invalid access to map value, value_size=8 off=8 size=8` followed by
/// `R1 min value is outside of the allowed memory range`; [`reason_line`] is the last of them,
/// and the corpus matches its `kernel_message` against the last three.
#[must_use]
pub fn reason_lines(log: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = log_lines(log).collect();
    let end = lines
        .iter()
        .rposition(|it| !is_trailer(it))
        .map_or(0, |at| at + 1);
    let lines: Vec<&str> = lines[..end]
        .iter()
        .copied()
        .filter(|it| !it.is_empty())
        .collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|it| (*it).to_owned())
        .collect()
}

/// The kernel's verdict on one program of an object, with everything needed to explain it.
#[derive(Debug, Clone, Serialize)]
pub struct KernelVerdict {
    /// The object as the caller named it (its path, or the name given with the bytes).
    pub object: String,
    /// The program's function name.
    pub program: String,
    /// Its ELF section, which gives libbpf its program type and attach type.
    pub section: String,
    /// The kernel's name of its program type (`xdp`, `socket_filter`, ...), or `unknown`.
    pub prog_type: String,
    /// Accepted, rejected or refused.
    #[serde(flatten)]
    pub outcome: Outcome,
    /// The verifier's statistics, when the verifier ran.
    pub stats: Option<VerifierStats>,
    /// The full verifier log, when asked for with [`LogLevel`] and `keep_log`.
    ///
    /// [`LogLevel`]: crate::LogLevel
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log: Option<String>,
    /// The log still did not fit in the largest buffer the kernel allows (1 GiB).
    pub log_truncated: bool,
    /// What libbpf printed at warning and info level while opening and loading.
    pub libbpf_messages: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    const REJECT_LOG: &str = "func#0 @0\n\
0: R1=ctx() R10=fp0\n\
0: (b7) r0 = 0                        ; R0_w=0\n\
1: (61) r0 = *(u32 *)(r2 +0)\n\
R2 !read_ok\n\
verification time 12 usec\n\
stack depth 0+8\n\
processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";

    #[test]
    fn reason_is_last_line_before_trailer() {
        assert_eq!(reason_line(REJECT_LOG), "R2 !read_ok");
        assert_eq!(reason_line(""), "");
        assert_eq!(
            reason_lines(REJECT_LOG, 2),
            ["1: (61) r0 = *(u32 *)(r2 +0)", "R2 !read_ok"]
        );
    }

    #[test]
    fn stats_are_parsed() {
        let s = parse_stats(REJECT_LOG).expect("stats");
        assert_eq!(s.processed_insns, 2);
        assert_eq!(s.insn_limit, Some(1_000_000));
        assert_eq!(s.max_states_per_insn, Some(0));
        assert_eq!(s.peak_states, Some(0));
        assert_eq!(s.mark_read, Some(0));
        assert_eq!(s.verification_time_us, Some(12));
        assert_eq!(s.stack_depth, vec![0, 8]);
    }

    #[test]
    fn glued_trailer_and_loop_states() {
        let log = "5: (85) call bpf_tail_call#12\nexpected prog array map for tail callverification time 30 usec\n\
stack depth 0\nprocessed 5 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n";
        assert_eq!(reason_line(log), "expected prog array map for tail call");
        assert_eq!(
            parse_stats(log).and_then(|it| it.verification_time_us),
            Some(30)
        );
        let log = "infinite loop detected at insn 1\ncur state: R0=2 R1=ctx() R10=fp0\nold state: R0=2 R1=ctx() R10=fp0\n\
verification time 5 usec\nstack depth 0\nprocessed 3 insns (limit 1000000)\n";
        assert_eq!(reason_line(log), "infinite loop detected at insn 1");
    }

    #[test]
    fn no_stats_without_processed_line() {
        assert_eq!(parse_stats("libbpf: something\n"), None);
    }

    #[test]
    fn errno_names() {
        assert_eq!(Errno(libc::EACCES).name(), "EACCES");
        assert_eq!(Errno(524).name(), "ENOTSUPP");
        assert_eq!(Errno(9999).name(), "errno 9999");
    }
}
