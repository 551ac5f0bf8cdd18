//! Loading one program of an object into the kernel and turning what happened into a
//! [`KernelVerdict`].
//!
//! Each program is judged alone: the object is opened afresh, every other program's autoload is
//! switched off, and `bpf_object__load` creates the maps, applies relocations and CO-RE against
//! the running kernel, and loads that one program with a log buffer we own.
//! When the kernel says the log did not fit (`ENOSPC`, which since 6.4 it returns whatever the
//! verdict) the whole load is repeated with a buffer four times larger, up to the kernel's
//! maximum of 1 GiB.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Mutex;

use crate::struct_ops;
use crate::sys::{self, Object, ProgInfo};
use crate::verdict::{
    parse_stats, reason_line, Errno, KernelVerdict, Outcome, RefusalStage, RejectKind,
};
use crate::OracleError;

/// How much the verifier writes into its log. Every level includes the statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum LogLevel {
    /// `BPF_LOG_STATS` (4): the reason line and the statistics only; the cheapest.
    Stats,
    /// `BPF_LOG_LEVEL1 | BPF_LOG_STATS` (5): the states at branch points, as `bpftool` shows.
    #[default]
    Brief,
    /// `BPF_LOG_LEVEL2 | BPF_LOG_STATS` (6): every instruction with its state; can be huge.
    Verbose,
}

impl LogLevel {
    /// The `log_level` value passed to `BPF_PROG_LOAD`.
    #[must_use]
    pub fn bits(self) -> u32 {
        match self {
            LogLevel::Stats => 4,
            LogLevel::Brief => 1 | 4,
            LogLevel::Verbose => 2 | 4,
        }
    }
}

/// Options of [`verify_object`] and [`verify_file`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct VerifyOptions {
    /// The verifier's log level.
    pub log_level: LogLevel,
    /// Keep the full log in [`KernelVerdict::log`].
    pub keep_log: bool,
    /// The first log buffer size in bytes; it grows fourfold on `ENOSPC`.
    pub initial_log_size: usize,
    /// Load flags (`BPF_F_*`) added to the named programs, as the selftests' loader adds
    /// each test's `__flag(...)`; programs not named load with libbpf's flags only.
    pub prog_flags: BTreeMap<String, u32>,
    /// Load as an unprivileged user would (see `unpriv.rs`): uid 65534, no capabilities.
    pub unprivileged: bool,
}

impl Default for VerifyOptions {
    fn default() -> Self {
        VerifyOptions {
            log_level: LogLevel::Brief,
            keep_log: false,
            initial_log_size: 1 << 20,
            prog_flags: BTreeMap::new(),
            unprivileged: false,
        }
    }
}

impl VerifyOptions {
    /// Options with the given log level, keeping the log or not.
    #[must_use]
    pub fn new(log_level: LogLevel, keep_log: bool) -> Self {
        VerifyOptions {
            log_level,
            keep_log,
            ..VerifyOptions::default()
        }
    }

    /// These options, for an unprivileged load (`true`) or a privileged one.
    #[must_use]
    pub fn unprivileged(self, unprivileged: bool) -> Self {
        VerifyOptions {
            unprivileged,
            ..self
        }
    }
}

/// The largest log the kernel accepts (`UINT_MAX >> 2`).
const MAX_LOG_SIZE: usize = (u32::MAX >> 2) as usize;

/// Loads are serialised: libbpf's feature probing and the kernel's verification time are
/// easier to reason about one at a time, and test harnesses run threads in parallel.
static LOAD_LOCK: Mutex<()> = Mutex::new(());

/// A program loaded (or not) with its verdict; the object stays open while this lives.
pub(crate) struct Loaded {
    pub(crate) obj: Option<Object>,
    pub(crate) idx: usize,
    pub(crate) verdict: KernelVerdict,
}

/// Why libbpf could not open an object: its errno and its messages.
type OpenFailure = (Errno, Vec<String>);

/// Lists the programs of an object: libbpf's view when it can open it, otherwise the ELF's
/// own (global functions in executable sections other than `.text`) so that every program of
/// an object libbpf refuses still gets a verdict.
fn list_programs(
    elf: &[u8],
    name: &str,
) -> Result<(Vec<ProgInfo>, Option<OpenFailure>), OracleError> {
    let (res, msgs) =
        sys::capture_libbpf_messages(|| Object::open(elf, name).map(|it| it.programs()));
    match res {
        Ok(progs) => Ok((progs, None)),
        Err(errno) => {
            let progs = elf_programs(elf).map_err(|detail| OracleError::NotAnObject {
                object: name.to_owned(),
                detail: format!("{detail}; libbpf: {}", msgs.join(" / ")),
            })?;
            Ok((progs, Some((errno, msgs))))
        }
    }
}

fn elf_programs(elf: &[u8]) -> Result<Vec<ProgInfo>, String> {
    use object::{Object as _, ObjectSection as _, ObjectSymbol as _, SectionFlags, SymbolKind};
    let file = object::File::parse(elf).map_err(|e| format!("not an ELF object: {e}"))?;
    let mut res = Vec::new();
    for sym in file.symbols() {
        if sym.kind() != SymbolKind::Text || !sym.is_global() {
            continue;
        }
        let Some(idx) = sym.section_index() else {
            continue;
        };
        let Ok(sec) = file.section_by_index(idx) else {
            continue;
        };
        let exec = matches!(sec.flags(), SectionFlags::Elf { sh_flags } if sh_flags & u64::from(object::elf::SHF_EXECINSTR) != 0);
        let sec_name = sec.name().unwrap_or_default();
        if !exec || sec_name == ".text" {
            continue;
        }
        res.push((
            sec.index().0,
            sym.address(),
            sym.name().unwrap_or_default().to_owned(),
            sec_name.to_owned(),
        ));
    }
    res.sort();
    Ok(res
        .into_iter()
        .map(|(_, _, name, section)| {
            let prog_type = sys::prog_type_of_section(&section).unwrap_or(0);
            ProgInfo {
                name,
                section,
                prog_type,
            }
        })
        .collect())
}

fn strip_prefix(msg: &str) -> &str {
    msg.trim().strip_prefix("libbpf: ").unwrap_or(msg.trim())
}

/// Which step of `bpf_object__load` failed, from libbpf's warnings, and the line that says so.
fn classify_refusal(msgs: &[String]) -> (RefusalStage, Option<String>) {
    type Pattern = fn(&str) -> bool;
    let table: [(RefusalStage, Pattern); 4] = [
        (RefusalStage::MapCreate, |m| {
            m.starts_with("map '") && m.contains("failed to create")
        }),
        (RefusalStage::AttachTarget, |m| {
            m.contains("failed to find kernel BTF type ID")
        }),
        (RefusalStage::Relocation, |m| {
            m.contains("relo")
                || m.contains("CO-RE")
                || m.contains("extern")
                || m.contains("failed to resolve")
        }),
        (RefusalStage::ProgLoad, |m| {
            m.contains("BPF program load failed")
        }),
    ];
    for (stage, pat) in table {
        if let Some(m) = msgs.iter().map(|it| strip_prefix(it)).find(|m| pat(m)) {
            return (stage, Some(m.to_owned()));
        }
    }
    let first = msgs
        .iter()
        .map(|it| strip_prefix(it))
        .find(|m| !m.starts_with("failed to load object"));
    (RefusalStage::Load, first.map(str::to_owned))
}

/// Sub-classifies a verifier rejection by its reason line.
fn reject_kind(reason: &str) -> RejectKind {
    const HELPER: [&str; 4] = [
        "program of this type cannot use helper",
        "unknown func ",
        "cannot call GPL-restricted function",
        "calling kernel function",
    ];
    const POISONED: [&str; 3] = ["failed to resolve CO-RE relocation", "BPF map '", "kfunc '"];
    if POISONED.iter().any(|p| reason.starts_with(p)) {
        RejectKind::UnresolvedRelocation
    } else if HELPER.iter().any(|p| reason.starts_with(p))
        // An unknown helper id is a helper this kernel does not have (a newer kernel's helper);
        // the ids libbpf uses to poison instructions (195896080, 2001000000+, 2002000000+) are not.
        || (reason.starts_with("invalid func ")
            && !["#195896080", "#2001", "#2002"].iter().any(|p| reason.contains(p)))
    {
        RejectKind::HelperUnavailable
    } else {
        RejectKind::Verifier
    }
}

fn errno_text(errno: Errno) -> String {
    format!(
        "{}: {}",
        errno.name(),
        std::io::Error::from_raw_os_error(errno.0)
    )
}

/// Loads program `idx` of `elf` alone; keeps the object open when it was accepted and `keep`.
pub(crate) fn load_one(
    elf: &[u8],
    name: &str,
    prog: &ProgInfo,
    idx: usize,
    opts: &VerifyOptions,
    keep: bool,
) -> Loaded {
    load_with(elf, name, prog, idx, &[], opts, keep)
}

/// [`load_one`], loading programs `also` of the object too (tail-call targets); the verdict
/// and log are program `idx`'s.
fn load_with(
    elf: &[u8],
    name: &str,
    prog: &ProgInfo,
    idx: usize,
    also: &[usize],
    opts: &VerifyOptions,
    keep: bool,
) -> Loaded {
    let _guard = LOAD_LOCK
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if opts.unprivileged {
        return load_unprivileged(elf, name, prog, idx, also, opts);
    }
    load_locked(elf, name, prog, idx, also, opts, keep)
}

/// The program types an unprivileged user may load (`bpf_prog_load` refuses the others with
/// `EPERM` unless the caller has `CAP_BPF`).
const UNPRIVILEGED_TYPES: [u32; 2] = [
    libbpf_sys::BPF_PROG_TYPE_SOCKET_FILTER,
    libbpf_sys::BPF_PROG_TYPE_CGROUP_SKB,
];

/// [`load_locked`] in a fresh thread that gave up root first; the object is closed in that
/// thread (a libbpf object is not shared between threads), so nothing is kept.
fn load_unprivileged(
    elf: &[u8],
    name: &str,
    prog: &ProgInfo,
    idx: usize,
    also: &[usize],
    opts: &VerifyOptions,
) -> Loaded {
    let refused = |reason: String| KernelVerdict {
        object: name.to_owned(),
        program: prog.name.clone(),
        section: prog.section.clone(),
        prog_type: sys::prog_type_name(prog.prog_type),
        outcome: Outcome::Refused {
            stage: RefusalStage::Load,
            errno: None,
            reason,
        },
        stats: None,
        log: None,
        log_truncated: false,
        libbpf_messages: Vec::new(),
    };
    let joined = std::thread::scope(|s| {
        s.spawn(|| match crate::unpriv::become_unprivileged() {
            Ok(()) => Ok(load_locked(elf, name, prog, idx, also, opts, false).verdict),
            Err(why) => Err(why),
        })
        .join()
    });
    let mut verdict = match joined {
        Ok(Ok(v)) => v,
        Ok(Err(why)) => refused(why),
        Err(_) => refused("the unprivileged loader thread panicked".to_owned()),
    };
    if let Outcome::Refused {
        stage: RefusalStage::ProgLoad,
        errno: Some(Errno(libc::EPERM)),
        reason,
    } = &mut verdict.outcome
    {
        if !UNPRIVILEGED_TYPES.contains(&prog.prog_type) {
            *reason = format!(
                "unprivileged loads allow only socket_filter and cgroup_skb programs, not {}",
                verdict.prog_type
            );
        }
    }
    Loaded {
        obj: None,
        idx,
        verdict,
    }
}

/// One load in the calling thread, with the caller holding [`LOAD_LOCK`].
fn load_locked(
    elf: &[u8],
    name: &str,
    prog: &ProgInfo,
    idx: usize,
    also: &[usize],
    opts: &VerifyOptions,
    keep: bool,
) -> Loaded {
    let mut size = opts.initial_log_size.clamp(4096, MAX_LOG_SIZE);
    let st_ops = struct_ops::struct_ops_programs(elf);
    loop {
        let ((res, log, obj, info), msgs) = sys::capture_libbpf_messages(|| {
            let mut obj = match Object::open(elf, name) {
                Ok(it) => it,
                Err(e) => return (Err(e), String::new(), None, None),
            };
            let n = obj.programs().len();
            let loaded: Vec<String> = obj
                .programs()
                .into_iter()
                .enumerate()
                .filter(|(i, _)| *i == idx || also.contains(i))
                .map(|(_, p)| p.name)
                .collect();
            let setup = (0..n)
                .try_for_each(|i| obj.set_autoload(i, i == idx || also.contains(&i)))
                .and_then(|()| {
                    obj.keep_struct_ops_maps(|map| {
                        st_ops
                            .get(map)
                            .is_some_and(|progs| loaded.iter().any(|p| progs.contains(p)))
                    })
                })
                .and_then(|()| obj.set_log(idx, opts.log_level.bits(), size))
                .and_then(|()| match opts.prog_flags.get(&prog.name) {
                    Some(&flags) => obj.add_flags(idx, flags),
                    None => Ok(()),
                });
            if let Err(e) = setup {
                return (Err(e), String::new(), None, None);
            }
            let res = obj.load();
            let log = obj.log(idx);
            let info = obj.programs().into_iter().nth(idx);
            (res, log, Some(obj), info)
        });
        let prog = info.unwrap_or_else(|| prog.clone());
        let truncated = res == Err(Errno(libc::ENOSPC)) && !log.is_empty();
        if truncated && size < MAX_LOG_SIZE {
            size = size.saturating_mul(4).min(MAX_LOG_SIZE);
            continue;
        }
        let stats = parse_stats(&log);
        let outcome = match res {
            Ok(()) => Outcome::Accepted,
            // The verifier printed its statistics and no error: it accepted the program, and
            // what failed came after it (libbpf filling a program array with programs this load
            // left out, say). That is the verifier's verdict; libbpf's message is kept.
            Err(_) if stats.is_some() && reason_line(&log).is_empty() => Outcome::Accepted,
            Err(errno) if stats.is_some() => {
                let reason = reason_line(&log);
                let reason = if reason.is_empty() {
                    errno_text(errno)
                } else {
                    reason
                };
                Outcome::Rejected {
                    errno,
                    kind: reject_kind(&reason),
                    reason,
                }
            }
            Err(errno) => {
                let (stage, line) = classify_refusal(&msgs);
                Outcome::Refused {
                    stage,
                    errno: Some(errno),
                    reason: line.unwrap_or_else(|| errno_text(errno)),
                }
            }
        };
        let accepted = res.is_ok();
        let verdict = KernelVerdict {
            object: name.to_owned(),
            program: prog.name.clone(),
            section: prog.section.clone(),
            prog_type: sys::prog_type_name(prog.prog_type),
            outcome,
            stats,
            log: opts.keep_log.then_some(log),
            log_truncated: truncated,
            libbpf_messages: msgs.iter().map(|it| strip_prefix(it).to_owned()).collect(),
        };
        return Loaded {
            obj: obj.filter(|_| keep && accepted),
            idx,
            verdict,
        };
    }
}

/// The verdict for every program of an object libbpf could not open.
fn refused_at_open(
    name: &str,
    progs: &[ProgInfo],
    errno: Errno,
    msgs: &[String],
) -> Vec<KernelVerdict> {
    let reason = msgs
        .iter()
        .map(|it| strip_prefix(it))
        .find(|m| !m.starts_with("failed to open") && !m.is_empty())
        .map_or_else(|| errno_text(errno), str::to_owned);
    progs
        .iter()
        .map(|p| KernelVerdict {
            object: name.to_owned(),
            program: p.name.clone(),
            section: p.section.clone(),
            prog_type: sys::prog_type_name(p.prog_type),
            outcome: Outcome::Refused {
                stage: RefusalStage::Open,
                errno: Some(errno),
                reason: reason.clone(),
            },
            stats: None,
            log: None,
            log_truncated: false,
            libbpf_messages: msgs.iter().map(|it| strip_prefix(it).to_owned()).collect(),
        })
        .collect()
}

/// Loads every program of the ELF object `elf` (or only `program`) into the running kernel, one
/// at a time, and returns the kernel's verdict on each, in the object's program order.
/// `name` names the object in the verdicts and in libbpf's messages (a path, typically).
///
/// # Errors
/// [`OracleError::Unavailable`] when `bpf()` cannot be used (see [`crate::kernel_available`]),
/// [`OracleError::NotAnObject`] when the bytes are not an ELF object,
/// [`OracleError::NoSuchProgram`] when `program` names none of its programs.
/// A program the kernel rejects or refuses is a verdict, not an error.
pub fn verify_object(
    elf: &[u8],
    name: &str,
    program: Option<&str>,
    opts: &VerifyOptions,
) -> Result<Vec<KernelVerdict>, OracleError> {
    crate::kernel_available()?;
    // Held until the loads below are done; a no-op inside a session the caller opened.
    let _session = if opts.unprivileged {
        Some(crate::unprivileged_session()?)
    } else {
        None
    };
    let (progs, open_failure) = list_programs(elf, name)?;
    let selected: Vec<usize> = match program {
        None => (0..progs.len()).collect(),
        Some(want) => {
            let found: Vec<usize> = (0..progs.len())
                .filter(|&i| progs[i].name == want)
                .collect();
            if found.is_empty() {
                return Err(OracleError::NoSuchProgram {
                    object: name.to_owned(),
                    program: want.to_owned(),
                    available: progs.iter().map(|it| it.name.clone()).collect(),
                });
            }
            found
        }
    };
    if let Some((errno, msgs)) = open_failure {
        let chosen: Vec<ProgInfo> = selected.iter().map(|&i| progs[i].clone()).collect();
        return Ok(refused_at_open(name, &chosen, errno, &msgs));
    }
    Ok(selected
        .into_iter()
        .map(|i| load_one(elf, name, &progs[i], i, opts, false).verdict)
        .collect())
}

/// [`verify_object`] on a file; the verdicts name the object by `path` as given.
///
/// # Errors
/// As [`verify_object`], and [`OracleError::Io`] when the file cannot be read.
pub fn verify_file(
    path: &Path,
    program: Option<&str>,
    opts: &VerifyOptions,
) -> Result<Vec<KernelVerdict>, OracleError> {
    let elf = std::fs::read(path).map_err(|source| OracleError::Io {
        path: path.to_owned(),
        source,
    })?;
    verify_object(&elf, &path.display().to_string(), program, opts)
}

/// Finds program `program` of `elf` and loads it with programs `also` (by name), keeping
/// the object open on success.
pub(crate) fn load_for_run(
    elf: &[u8],
    name: &str,
    program: &str,
    also: &[&str],
) -> Result<Loaded, OracleError> {
    crate::kernel_available()?;
    let (progs, open_failure) = list_programs(elf, name)?;
    let find = |program: &str| {
        progs
            .iter()
            .position(|it| it.name == program)
            .ok_or_else(|| OracleError::NoSuchProgram {
                object: name.to_owned(),
                program: program.to_owned(),
                available: progs.iter().map(|it| it.name.clone()).collect(),
            })
    };
    let idx = find(program)?;
    let also = also
        .iter()
        .map(|p| find(p))
        .collect::<Result<Vec<_>, _>>()?;
    if let Some((errno, msgs)) = open_failure {
        let verdict = refused_at_open(name, &progs[idx..=idx], errno, &msgs).remove(0);
        return Ok(Loaded {
            obj: None,
            idx,
            verdict,
        });
    }
    Ok(load_with(
        elf,
        name,
        &progs[idx],
        idx,
        &also,
        &VerifyOptions::new(LogLevel::Stats, false),
        true,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[&str]) -> Vec<String> {
        xs.iter().map(|it| (*it).to_owned()).collect()
    }

    #[test]
    fn refusal_stages() {
        let (s, m) = classify_refusal(&v(&[
            "libbpf: Error in bpf_create_map_xattr(m): -EINVAL. Retrying without BTF.",
            "libbpf: map 'm': failed to create: -EINVAL",
            "libbpf: failed to load object 'x'",
        ]));
        assert_eq!(s, RefusalStage::MapCreate);
        assert_eq!(m.as_deref(), Some("map 'm': failed to create: -EINVAL"));
        let (s, _) = classify_refusal(&v(&["libbpf: prog 'p': BPF program load failed: -EINVAL"]));
        assert_eq!(s, RefusalStage::ProgLoad);
        let (s, _) = classify_refusal(&v(&[
            "libbpf: prog 'p': failed to find kernel BTF type ID of 'nope': -ESRCH",
        ]));
        assert_eq!(s, RefusalStage::AttachTarget);
        let (s, m) = classify_refusal(&[]);
        assert_eq!((s, m), (RefusalStage::Load, None));
    }

    #[test]
    fn reject_kinds() {
        assert_eq!(
            reject_kind("program of this type cannot use helper bpf_probe_read#4"),
            RejectKind::HelperUnavailable
        );
        assert_eq!(
            reject_kind(
                "failed to resolve CO-RE relocation <byte_off> [2] struct s.x (0:1 @ offset 4)"
            ),
            RejectKind::UnresolvedRelocation
        );
        assert_eq!(reject_kind("R0 !read_ok"), RejectKind::Verifier);
        assert_eq!(
            reject_kind("invalid func unknown#195896080"),
            RejectKind::Verifier
        );
        assert_eq!(
            reject_kind("invalid func unknown#999999"),
            RejectKind::HelperUnavailable
        );
    }
}
