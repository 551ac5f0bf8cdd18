//! `bpfvet kernel`: the live kernel's verdict on each program of an object, and test runs.
//!
//! Glue only: loading, classification and test runs live in `bpfvet-oracle`; this module parses
//! arguments and renders verdicts as human text, JSON, or the deterministic one-line-per-program
//! `summary` that `snapshots/kernel/corpus.txt` is made of.
//!
//! Exit codes: 0 every program accepted (or the test run succeeded), 1 some program rejected or
//! refused, 2 usage or IO error, or the live verifier unavailable (`bpf()` not usable here).

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use bpfvet_oracle::{
    KernelVerdict, LogLevel, OracleError, Outcome, RunMode, TestRunInput, VerifyOptions,
};

/// Output formats of `bpfvet kernel`.
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Verdict, reason and statistics per program, for people.
    Human,
    /// One JSON document with the kernel's release and every verdict.
    Json,
    /// One deterministic line per program (no timings): the snapshot format.
    Summary,
}

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Needs root (or CAP_BPF+CAP_PERFMON+CAP_NET_ADMIN); exits 2 when bpf() is unavailable.\n\
Exit codes: 0 all accepted, 1 some program rejected or refused, 2 usage/IO error or no bpf()."
)]
pub struct Args {
    /// BPF ELF object files, or executables with BPF objects embedded (libbpf skeletons:
    /// each is loaded and named `FILE!0xOFFSET`).
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Only this program (function name).
    #[arg(long, short = 'p')]
    program: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Print (or include in JSON) the full verifier log (log level 1, plus statistics).
    #[arg(long)]
    log: bool,
    /// Ask for the instruction-by-instruction log (log level 2); implies --log.
    #[arg(long)]
    verbose_log: bool,
    /// Load each program with the flags its selftests-style `__flag(...)` tag asks for
    /// (BPF_F_STRICT_ALIGNMENT, BPF_F_TEST_REG_INVARIANTS, ...), as the kernel's test loader does.
    #[arg(long, conflicts_with = "test_run")]
    test_flags: bool,
    /// Load each program as an unprivileged user would: a loader thread at uid/gid 65534 with no
    /// capabilities (maps created by it too). Only socket_filter and cgroup_skb programs are
    /// loadable so; kernel.unprivileged_bpf_disabled = 2 is set to 0 for the run and restored.
    #[arg(long, conflicts_with = "test_run")]
    unprivileged: bool,
    /// Run the program through BPF_PROG_TEST_RUN instead (needs one FILE, --program, --input).
    #[arg(long, requires_all = ["program", "input"])]
    test_run: bool,
    /// With --test-run: the packet bytes (or, for raw tracepoint and syscall programs, the context).
    #[arg(long, requires = "test_run")]
    input: Option<PathBuf>,
    /// With --test-run: a context (`struct __sk_buff`, `struct xdp_md`, ...) to pass as well.
    #[arg(long, requires = "test_run")]
    ctx: Option<PathBuf>,
    /// With --test-run: how many runs to average the duration over.
    #[arg(long, default_value_t = 1, requires = "test_run")]
    repeat: u32,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let info = match bpfvet_oracle::kernel_available() {
        Ok(info) => info,
        Err(why) => {
            eprintln!("bpfvet kernel: the live verifier is unavailable: {why}");
            return Ok(ExitCode::from(2));
        }
    };
    // Open for every file at once, so the sysctl changes once per run, not once per object.
    let session = if args.unprivileged {
        match bpfvet_oracle::unprivileged_session() {
            Ok(s) => Some(s),
            Err(why) => {
                eprintln!("bpfvet kernel: cannot load unprivileged: {why}");
                return Ok(ExitCode::from(2));
            }
        }
    } else {
        None
    };
    let note = session.as_ref().and_then(|s| s.note.clone());
    if let (Some(note), true) = (&note, args.format != Format::Human) {
        eprintln!("bpfvet kernel: {note}");
    }
    let mut out = String::new();
    let code = if args.test_run {
        test_run(&args, &mut out)?
    } else {
        verify(&args, &info, note.as_deref(), &mut out)
    };
    drop(session);
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        res => res.map(|()| code).context("writing to stdout"),
    }
}

/// The kernel's verdicts on the object `path`, or on each BPF object embedded in it (in an
/// executable, `--program` picks the embedded objects that have it).
fn verify_file(
    path: &std::path::Path,
    program: Option<&str>,
    opts: &VerifyOptions,
) -> Result<Vec<KernelVerdict>, OracleError> {
    let bytes = std::fs::read(path).map_err(|source| OracleError::Io {
        path: path.to_owned(),
        source,
    })?;
    let parts = super::load::object_bytes(path, &bytes);
    if parts.len() == 1 && parts[0].item.len() == bytes.len() {
        return bpfvet_oracle::verify_object(&bytes, &parts[0].name, program, opts);
    }
    let mut all = Vec::new();
    let mut last_missing = None;
    for p in &parts {
        match bpfvet_oracle::verify_object(p.item, &p.name, program, opts) {
            Ok(vs) => all.extend(vs),
            Err(e @ OracleError::NoSuchProgram { .. }) => last_missing = Some(e),
            Err(e) => return Err(e),
        }
    }
    match last_missing {
        Some(e) if all.is_empty() => Err(e),
        _ => Ok(all),
    }
}

fn verify(
    args: &Args,
    info: &bpfvet_oracle::KernelInfo,
    note: Option<&str>,
    out: &mut String,
) -> ExitCode {
    let level = if args.verbose_log {
        LogLevel::Verbose
    } else {
        LogLevel::Brief
    };
    let opts =
        VerifyOptions::new(level, args.log || args.verbose_log).unprivileged(args.unprivileged);
    let mut verdicts: Vec<KernelVerdict> = Vec::new();
    let mut errors: Vec<(PathBuf, OracleError)> = Vec::new();
    for file in &args.files {
        let mut opts = opts.clone();
        if args.test_flags {
            match super::selftest::test_load_flags(file) {
                Ok(flags) => opts.prog_flags = flags,
                Err(e) => {
                    errors.push((
                        file.clone(),
                        OracleError::NotAnObject {
                            object: file.display().to_string(),
                            detail: format!("{e:#}"),
                        },
                    ));
                    continue;
                }
            }
        }
        match verify_file(file, args.program.as_deref(), &opts) {
            Ok(vs) => {
                if args.format == Format::Human {
                    for v in &vs {
                        render_human(v, args.log || args.verbose_log, out);
                    }
                }
                verdicts.extend(vs);
            }
            Err(e) => {
                eprintln!("bpfvet kernel: {e}");
                errors.push((file.clone(), e));
            }
        }
    }
    let had_errors = !errors.is_empty();
    let count = |w: &str| verdicts.iter().filter(|v| v.outcome.word() == w).count();
    match args.format {
        Format::Human => {
            if let Some(note) = note {
                let _ = writeln!(out, "{note}");
            }
            let _ = writeln!(
                out,
                "kernel {}{}: {} programs: {} accepted, {} rejected, {} refused",
                info.release,
                if args.unprivileged {
                    " (unprivileged loads)"
                } else {
                    ""
                },
                verdicts.len(),
                count("accepted"),
                count("rejected"),
                count("refused")
            );
        }
        Format::Summary => {
            for v in &verdicts {
                out.push_str(&summary_line(v));
                out.push('\n');
            }
        }
        Format::Json => {
            #[derive(serde::Serialize)]
            struct FileError {
                object: String,
                error: String,
            }
            #[derive(serde::Serialize)]
            struct Report<'a> {
                kernel: &'a bpfvet_oracle::KernelInfo,
                unprivileged: bool,
                #[serde(skip_serializing_if = "Option::is_none")]
                note: Option<&'a str>,
                programs: &'a [KernelVerdict],
                errors: Vec<FileError>,
            }
            let errors = errors
                .iter()
                .map(|(p, e)| FileError {
                    object: p.display().to_string(),
                    error: e.to_string(),
                })
                .collect();
            let doc = Report {
                kernel: info,
                unprivileged: args.unprivileged,
                note,
                programs: &verdicts,
                errors,
            };
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
    }
    if had_errors {
        ExitCode::from(2)
    } else if verdicts.iter().all(|v| v.outcome == Outcome::Accepted) {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// `OBJECT PROGRAM (PROG_TYPE): VERDICT [insns N, states T, peak P]`: deterministic on a given
/// kernel (no timings, no ids), so a kernel or libbpf change shows as a diff.
pub fn summary_line(v: &KernelVerdict) -> String {
    let mut line = format!(
        "{} {} ({}): {}",
        v.object,
        v.program,
        v.prog_type,
        v.outcome.summary()
    );
    if let Some(s) = &v.stats {
        let opt = |x: Option<u64>| x.map_or_else(|| "?".to_owned(), |n| n.to_string());
        let _ = write!(
            line,
            " [insns {}, states {}, peak {}]",
            s.processed_insns,
            opt(s.total_states),
            opt(s.peak_states)
        );
    }
    line
}

fn render_human(v: &KernelVerdict, with_log: bool, out: &mut String) {
    let _ = writeln!(
        out,
        "{}: {} [{}, SEC(\"{}\")]: {}",
        v.object,
        v.program,
        v.prog_type,
        v.section,
        v.outcome.summary()
    );
    if let Some(s) = &v.stats {
        let mut parts = vec![format!("processed {} insns", s.processed_insns)];
        if let Some(l) = s.insn_limit {
            parts[0].push_str(&format!(" (limit {l})"));
        }
        for (name, val) in [
            ("max_states_per_insn", s.max_states_per_insn),
            ("total_states", s.total_states),
            ("peak_states", s.peak_states),
            ("mark_read", s.mark_read),
        ] {
            if let Some(n) = val {
                parts.push(format!("{name} {n}"));
            }
        }
        if !s.stack_depth.is_empty() {
            let depths: Vec<String> = s.stack_depth.iter().map(u64::to_string).collect();
            parts.push(format!("stack depth {}", depths.join("+")));
        }
        if let Some(t) = s.verification_time_us {
            parts.push(format!("verification time {t} usec"));
        }
        let _ = writeln!(out, "    {}", parts.join(", "));
    }
    if matches!(v.outcome, Outcome::Refused { .. }) {
        for m in &v.libbpf_messages {
            let _ = writeln!(out, "    libbpf: {m}");
        }
    }
    if v.log_truncated {
        let _ = writeln!(
            out,
            "    (the verifier log exceeded the kernel's 1 GiB maximum and is truncated)"
        );
    }
    if with_log {
        if let Some(log) = &v.log {
            let _ = writeln!(out, "    --- verifier log ---");
            for l in log.lines() {
                let _ = writeln!(out, "    | {l}");
            }
            let _ = writeln!(out, "    --- end of log ---");
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hexdump(bytes: &[u8], out: &mut String) {
    for (i, chunk) in bytes.chunks(16).enumerate() {
        let hexes: Vec<String> = chunk.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(out, "  {:04x}  {}", i * 16, hexes.join(" "));
    }
}

/// The symbolic name of a return value, for the program types whose values have names.
fn retval_name(prog_type: &str, r: u32) -> Option<&'static str> {
    let xdp = [
        "XDP_ABORTED",
        "XDP_DROP",
        "XDP_PASS",
        "XDP_TX",
        "XDP_REDIRECT",
    ];
    let tc = [
        (0, "TC_ACT_OK"),
        (1, "TC_ACT_RECLASSIFY"),
        (2, "TC_ACT_SHOT"),
        (3, "TC_ACT_PIPE"),
        (4, "TC_ACT_STOLEN"),
        (7, "TC_ACT_REDIRECT"),
        (u32::MAX, "TC_ACT_UNSPEC"),
    ];
    match prog_type {
        "xdp" => xdp.get(r as usize).copied(),
        "sched_cls" | "sched_act" => tc.iter().find(|(v, _)| *v == r).map(|(_, n)| *n),
        "cgroup_skb" => ["drop", "allow"].get(r as usize).copied(),
        _ => None,
    }
}

fn test_run(args: &Args, out: &mut String) -> anyhow::Result<ExitCode> {
    let [file] = args.files.as_slice() else {
        anyhow::bail!(
            "--test-run takes exactly one object file, got {}",
            args.files.len()
        );
    };
    let (Some(program), Some(input)) = (&args.program, &args.input) else {
        anyhow::bail!("--test-run needs --program NAME and --input BYTES_FILE");
    };
    let elf = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let data = std::fs::read(input).with_context(|| format!("reading {}", input.display()))?;
    let ctx = args
        .ctx
        .as_ref()
        .map(|p| std::fs::read(p).with_context(|| format!("reading {}", p.display())))
        .transpose()?;
    let run_in = TestRunInput {
        data,
        ctx,
        repeat: args.repeat,
    };
    let res = match bpfvet_oracle::test_run(&elf, &file.display().to_string(), program, &run_in) {
        Ok(res) => res,
        Err(OracleError::NotAccepted(v)) => {
            eprintln!(
                "bpfvet kernel: cannot test-run {}: the kernel did not load it",
                v.program
            );
            render_human(&v, false, out);
            return Ok(ExitCode::from(1));
        }
        Err(e) => return Err(e.into()),
    };
    let v = &res.verdict;
    match args.format {
        Format::Json => {
            #[derive(serde::Serialize)]
            struct Run<'a> {
                object: &'a str,
                program: &'a str,
                prog_type: &'a str,
                mode: RunMode,
                retval: u32,
                retval_name: Option<&'static str>,
                data_out: Option<String>,
                ctx_out: Option<String>,
                duration_ns: u32,
                repeat: u32,
            }
            let doc = Run {
                object: &v.object,
                program: &v.program,
                prog_type: &v.prog_type,
                mode: res.mode,
                retval: res.retval,
                retval_name: retval_name(&v.prog_type, res.retval),
                data_out: res.data_out.as_deref().map(hex),
                ctx_out: res.ctx_out.as_deref().map(hex),
                duration_ns: res.duration_ns,
                repeat: res.repeat,
            };
            let _ = writeln!(
                out,
                "{}",
                serde_json::to_string_pretty(&doc).unwrap_or_default()
            );
        }
        Format::Human | Format::Summary => {
            let _ = writeln!(
                out,
                "{}: {} [{}]: accepted, test run",
                v.object, v.program, v.prog_type
            );
            let name = retval_name(&v.prog_type, res.retval)
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            let _ = writeln!(out, "retval: {}{name}", res.retval);
            if res.mode == RunMode::ContextOnce {
                let _ = writeln!(
                    out,
                    "duration: not measured by the kernel for {} programs (run once)",
                    v.prog_type
                );
            } else {
                let _ = writeln!(
                    out,
                    "duration: {} ns (mean of {} runs)",
                    res.duration_ns, res.repeat
                );
            }
            if let Some(d) = &res.data_out {
                let _ = writeln!(out, "data_out: {} bytes", d.len());
                hexdump(d, out);
            }
            if let Some(c) = &res.ctx_out {
                let _ = writeln!(out, "ctx_out: {} bytes", c.len());
                hexdump(c, out);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
