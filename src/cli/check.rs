//! `bpfvet check`: the verdict on every program of one or more objects, with every finding as
//! a diagnostic (human, via codespan), or as JSON, SARIF 2.1.0, GitHub annotations or GitLab
//! Code Quality; `--write FORMAT=FILE` writes more of these from the same run (what a CI job
//! wants: annotations in the log, SARIF and a JSON baseline as files).
//!
//! Exit codes: 0 every program accepted, 1 some program rejected (or, with `--deny warnings`,
//! some warning), 2 an input or usage error (with several files, the others are still checked
//! and reported).

use super::load::{is_embedded, load_objects_lenient, select};
use super::sources;
use anyhow::Context as _;
use bpfvet_analyzer::diagnostics::{self, explain, render};
use bpfvet_analyzer::program::Program;
use bpfvet_analyzer::report::{self, ObjectReport, ProgramReport, Report};
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input, KernelVersion, Options};
use bpfvet_analyzer::verifier::violation::{Code, Violation};
use bpfvet_analyzer::verifier::{verify, verify_observed, VerifyResult};
use std::fmt::Write as _;
use std::io::{IsTerminal as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 all accepted, 1 some program rejected (or a warning with --deny warnings), 2 input or usage error."
)]
pub struct Args {
    /// BPF ELF object files, executables with BPF objects embedded (libbpf skeletons: each is
    /// checked and named `FILE!0xOFFSET`), and directories to walk for objects (every ELF file
    /// for machine BPF below, in path order; other files are skipped).
    #[arg(required = true, value_name = "FILE|DIR")]
    files: Vec<PathBuf>,
    /// Check only the program with this name (its function name).
    #[arg(long)]
    program: Option<String>,
    /// Override the program type guessed from the section name (kernel names: socket_filter,
    /// kprobe, sched_cls, xdp, ...).
    #[arg(long = "type", value_name = "PROG_TYPE")]
    prog_type: Option<String>,
    /// Check against what this kernel version allows (e.g. 5.15); default: the newest known.
    #[arg(long, value_name = "X.Y")]
    kernel: Option<String>,
    #[command(flatten)]
    build: super::kernel_build::BuildArgs,
    /// Apply the rules for programs loaded without CAP_BPF/CAP_PERFMON.
    #[arg(long)]
    unprivileged: bool,
    /// Assume the kernel gives tracing-type programs a private stack (6.13+ on x86-64, not
    /// every build), so only each function's own stack counts toward 512 bytes.
    #[arg(long)]
    private_stack: bool,
    /// Honour the load flags a selftests-style `__flag(...)` tag gives a program
    /// (BPF_F_STRICT_ALIGNMENT, BPF_F_TEST_REG_INVARIANTS), as `bpfvet test` and
    /// `bpfvet kernel --test-flags` do.
    #[arg(long)]
    test_flags: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Also write the report in FORMAT to FILE (repeatable), e.g. --write sarif=bpfvet.sarif.
    #[arg(long, value_name = "FORMAT=FILE", value_parser = parse_write)]
    write: Vec<(Format, PathBuf)>,
    /// Kernel BTF that types tp_btf, fentry, lsm and iterator contexts (default: the running
    /// kernel's /sys/kernel/btf/vmlinux).
    #[arg(long, value_name = "FILE")]
    btf: Option<std::path::PathBuf>,
    /// Where to look for the C sources BTF names (besides next to the object and the recorded path).
    #[arg(long, value_name = "DIR")]
    source_dir: Option<PathBuf>,
    /// Also report the oldest kernel release from which on each program is accepted (every
    /// newer release bpfvet knows accepts it too).
    #[arg(long)]
    min_kernel: bool,
    /// Point diagnostics into the disassembly listing even when the C source can be found.
    #[arg(long)]
    no_source: bool,
    /// After each finding, print the explored path that reaches it with the registers it changes.
    #[arg(long)]
    trace: bool,
    /// Turn warnings into errors for the exit status (`--deny warnings`).
    #[arg(long, value_enum, value_name = "WHAT")]
    deny: Option<Deny>,
    /// Colour the human output: auto (when stdout is a terminal), always, never.
    #[arg(long, value_enum, default_value_t = Color::Auto)]
    color: Color,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Diagnostics on the C source (or a disassembly listing), for people.
    Human,
    /// The versioned JSON report (docs/json.md).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow-command annotations.
    Github,
    /// GitLab Code Quality issues (artifacts:reports:codequality).
    Codequality,
}

/// A `--write` value: FORMAT=FILE.
fn parse_write(s: &str) -> Result<(Format, PathBuf), String> {
    use clap::ValueEnum as _;
    let (format, file) = s
        .split_once('=')
        .ok_or_else(|| format!("want FORMAT=FILE, got {s:?}"))?;
    let format = Format::from_str(format, true)?;
    if file.is_empty() {
        return Err(format!("no file after {format:?}="));
    }
    Ok((format, PathBuf::from(file)))
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Deny {
    Warnings,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Color {
    Auto,
    Always,
    Never,
}

/// One object's outcome: its report and its human text.
struct Checked {
    report: ObjectReport,
    human: String,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut opts = options(args.kernel.as_deref(), args.unprivileged)?;
    opts.private_stack = args.private_stack;
    args.build.apply(&mut opts)?;
    let override_type = override_type(args.prog_type.as_deref())?;
    let color = match args.color {
        Color::Always => true,
        Color::Never => false,
        // The human text is rendered once: no colour codes when a copy goes to a file.
        Color::Auto => {
            args.format == Format::Human
                && std::io::stdout().is_terminal()
                && !args.write.iter().any(|(f, _)| *f == Format::Human)
        }
    };
    let objects = super::files::expand(&args.files)?;
    let results = check_all(&objects.files, &args, override_type, &opts, color);
    // A file that cannot be read or loaded is an error of its own: the others are still
    // checked and reported, and the exit status says 2 at the end.
    let mut checked = Vec::new();
    let mut input_errors = 0;
    for r in results {
        match r {
            Ok(c) => checked.extend(c),
            Err(e) if objects.files.len() > 1 => {
                eprintln!("bpfvet: error: {e:#}");
                input_errors += 1;
            }
            Err(e) => return Err(e),
        }
    }
    let programs = || checked.iter().flat_map(|c| &c.report.programs);
    let rejected = programs().any(|p| p.verdict == "reject");
    let warned = programs().any(|p| !p.warnings.is_empty());
    let report = Report {
        version: report::VERSION,
        objects: checked.iter().map(|c| c.report.clone()).collect(),
    };
    let render = |format: Format| match format {
        Format::Human => {
            let mut out: String = checked.iter().map(|c| c.human.as_str()).collect();
            summary(&mut out, &checked);
            if objects.skipped > 0 {
                let _ = writeln!(
                    out,
                    "note: {} files in the directories walked are not BPF objects and were skipped",
                    objects.skipped
                );
            }
            out
        }
        Format::Json => report::to_json(&report) + "\n",
        Format::Sarif => report::sarif::to_json(&report) + "\n",
        Format::Github => report::github::annotations(&report),
        Format::Codequality => report::codequality::to_json(&report) + "\n",
    };
    for (format, file) in &args.write {
        std::fs::write(file, render(*format))
            .with_context(|| format!("cannot write {}", file.display()))?;
    }
    let out = render(args.format);
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            return Ok(ExitCode::SUCCESS);
        }
        return Err(e.into());
    }
    if input_errors > 0 {
        return Ok(ExitCode::from(2));
    }
    let failed = rejected || (warned && args.deny == Some(Deny::Warnings));
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Checks `files` on all cores (one worker per core takes the next object), with a progress bar
/// on a terminal, and returns the outcomes in the order of `files`; the first object that
/// cannot be read is the error.
fn check_all(
    files: &[PathBuf],
    args: &Args,
    override_type: Option<&'static ProgTypeRules>,
    opts: &Options,
    color: bool,
) -> Vec<anyhow::Result<Vec<Checked>>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Mutex;
    let next = AtomicUsize::new(0);
    let slots: Vec<Mutex<Option<anyhow::Result<Vec<Checked>>>>> =
        files.iter().map(|_| Mutex::new(None)).collect();
    let bar = super::progress::bar(files.len(), "checking");
    let workers = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(files.len());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(path) = files.get(i) else { break };
                bar.set_message(path.display().to_string());
                // A panic in one object's check is that object's error, not the run's end.
                let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    check_object(path, args, override_type, opts, color)
                }))
                .unwrap_or_else(|_| {
                    Err(anyhow::anyhow!(
                        "{}: internal error: checker panicked",
                        path.display()
                    ))
                });
                *slots[i].lock().unwrap_or_else(|e| e.into_inner()) = Some(r);
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|e| e.into_inner())
                .unwrap_or_else(|| {
                    Err(anyhow::anyhow!("internal error: an object was not checked"))
                })
        })
        .collect()
}

fn summary(out: &mut String, checked: &[Checked]) {
    let progs: Vec<&ProgramReport> = checked.iter().flat_map(|c| &c.report.programs).collect();
    let rejected = progs.iter().filter(|p| p.verdict == "reject").count();
    let errors: usize = progs.iter().map(|p| p.findings.len()).sum();
    let warnings: usize = progs.iter().map(|p| p.warnings.len()).sum();
    let _ = writeln!(
        out,
        "{} programs: {} accepted, {rejected} rejected ({errors} errors, {warnings} warnings)",
        progs.len(),
        progs.len() - rejected
    );
}

/// The profile from `--kernel` and `--unprivileged`.
pub(super) fn options(kernel: Option<&str>, unprivileged: bool) -> anyhow::Result<Options> {
    let mut opts = Options {
        privileged: !unprivileged,
        ..Options::default()
    };
    if let Some(k) = kernel {
        let (maj, min) = k
            .split_once('.')
            .ok_or_else(|| anyhow::anyhow!("--kernel wants X.Y, got {k:?}"))?;
        opts.kernel = KernelVersion::new(maj.parse()?, min.parse()?);
    }
    Ok(opts)
}

/// The `--type` override, checked.
pub(super) fn override_type(name: Option<&str>) -> anyhow::Result<Option<&'static ProgTypeRules>> {
    let Some(t) = name else { return Ok(None) };
    let known = || {
        bpfvet_analyzer::rules::PROG_TYPES
            .iter()
            .map(|p| p.name)
            .collect::<Vec<_>>()
            .join(", ")
    };
    ProgTypeRules::by_name(t)
        .map(Some)
        .ok_or_else(|| anyhow::anyhow!("unknown program type {t:?} (known: {})", known()))
}

/// The rules for `prog`: the override, or its type from the section name.
pub(super) fn rules_for(
    prog: &Program,
    override_type: Option<&'static ProgTypeRules>,
) -> anyhow::Result<&'static ProgTypeRules> {
    match override_type {
        Some(r) => Ok(r),
        None if text_default(prog) => ProgTypeRules::by_name(TEXT_DEFAULT_TYPE)
            .ok_or_else(|| anyhow::anyhow!("internal error: no rules for {TEXT_DEFAULT_TYPE}")),
        None => prog.prog_type().and_then(|t| ProgTypeRules::by_id(t.raw())).ok_or_else(|| {
            anyhow::anyhow!(
                "program {} in section {:?}: cannot tell its program type from the section name; pass --type (e.g. --type xdp)",
                prog.name(),
                prog.section()
            )
        }),
    }
}

/// The type a `.text` function is checked as when `--type` names none: socket filters are what
/// loaders that pick `.text` functions by name (custom loaders, `bpf(2)` by hand) load most.
pub(super) const TEXT_DEFAULT_TYPE: &str = "socket_filter";

/// Whether `prog` is a `.text` function with no type of its own, so [`TEXT_DEFAULT_TYPE`]
/// applies (and the output says so).
pub(super) fn text_default(prog: &Program) -> bool {
    prog.prog_type().is_none() && prog.section() == ".text"
}

/// The finding for a program with a slot that does not decode (the kernel refuses such a
/// program before verifying it), at the first such slot.
fn undecodable(u: &bpfvet_analyzer::program::Undecoded) -> Violation {
    let what = u.err.to_string();
    let what = what.split_once(": ").map_or(what.as_str(), |(_, w)| w);
    *Violation::new(
        Code::InvalidInsn,
        u.insn,
        format!("instruction {} does not decode: {what}", u.insn),
        u.err.kernel_message(),
    )
}

/// Checks the object `path`, or each BPF object embedded in it.
fn check_object(
    path: &Path,
    args: &Args,
    override_type: Option<&'static ProgTypeRules>,
    opts: &Options,
    color: bool,
) -> anyhow::Result<Vec<Checked>> {
    // Slots that do not decode make their program one finding; the others are checked.
    let objs = load_objects_lenient(path)?;
    let wanted = args.program.as_deref();
    let mut out = Vec::new();
    for named in &objs {
        // In an executable, `--program` picks the embedded objects that have it.
        if is_embedded(&named.name, path) && wanted.is_some_and(|n| named.item.program(n).is_none())
        {
            continue;
        }
        out.push(check_one(
            path,
            &named.name,
            &named.item,
            args,
            override_type,
            opts,
            color,
        )?);
    }
    if out.is_empty() {
        if let Some(n) = wanted {
            anyhow::bail!(
                "{}: no embedded BPF object has a program named {n:?}",
                path.display()
            );
        }
    }
    Ok(out)
}

fn check_one(
    path: &Path,
    display: &str,
    obj: &bpfvet_analyzer::program::Object,
    args: &Args,
    override_type: Option<&'static ProgTypeRules>,
    opts: &Options,
    color: bool,
) -> anyhow::Result<Checked> {
    let display = display.to_owned();
    let render_opts = render::Options {
        color,
        object: display.clone(),
    };
    let mut human = format!("{display}\n");
    let mut programs = Vec::new();
    for note in obj.load_notes() {
        human.push_str(&format!("  note: {note}\n"));
    }
    let selected = select(obj, path, args.program.as_deref())?;
    let srcs = if args.no_source {
        render::Sources::new()
    } else {
        sources::find(selected.iter().copied(), path, args.source_dir.as_deref())
    };
    for prog in selected {
        if let Some(u) = prog.undecoded().first() {
            let rep = single_finding(prog, undecodable(u), &srcs, &render_opts, &mut human);
            programs.push(rep);
            continue;
        }
        let rules = match rules_for(prog, override_type) {
            Ok(r) => r,
            Err(_) => {
                // One program whose type cannot be told: a finding for it, and the
                // other programs of the object are still checked.
                let v = unknown_type(prog);
                let rep = single_finding(prog, v, &srcs, &render_opts, &mut human);
                programs.push(rep);
                continue;
            }
        };
        let kbtf = super::load::kernel_btf_for(obj, prog, rules, args.btf.as_deref())?;
        let (relocated, core_note) = super::load::core_relocate(obj, prog, kbtf);
        let prog = relocated.as_ref().unwrap_or(prog);
        let input = Input::new(obj, prog, rules).with_kernel_btf(kbtf);
        let flagged;
        let opts = if args.test_flags {
            flagged = super::selftest::test_options(obj, prog, opts);
            &flagged
        } else {
            opts
        };
        let start = Instant::now();
        let res = verify(&input, opts);
        let duration = u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX);
        let mut diags = diagnostics::build(prog, &res.violations);
        diags.extend(diagnostics::warnings::warnings(prog, &res));
        let mut rep = report::program(prog, rules.name, &res, &diags, Some(duration));
        if args.min_kernel {
            let oldest = bpfvet_analyzer::verifier::profiles::min_kernel(&input, opts);
            rep.min_kernel = Some(oldest.map_or_else(|| "none".to_string(), |k| k.to_string()));
        }
        human.push_str(&header(&rep));
        if let Some(own) = &rep.own_verdict {
            for (i, line) in own.lines().iter().enumerate() {
                let indent = if i == 0 { "  " } else { "    " };
                human.push_str(&format!("{indent}{line}\n"));
            }
        }
        if override_type.is_none() && text_default(prog) {
            human.push_str(&format!(
                    "  note: a .text function has no section name to tell its type: checked as {TEXT_DEFAULT_TYPE} (pass --type to choose)\n"
                ));
        }
        if let Some(note) = core_note {
            human.push_str(&format!("  note: {note}\n"));
        }
        if let Some(k) = &rep.min_kernel {
            human.push_str(&if k == "none" {
                "  the newest kernel release bpfvet knows rejects it\n".to_string()
            } else {
                format!("  accepted from kernel {k} on\n")
            });
        }
        human.push_str(&render::human(prog, &diags, &srcs, &render_opts));
        if args.trace {
            human.push_str(&traces(prog, &input, opts, &res));
        }
        programs.push(rep);
    }
    Ok(Checked {
        report: ObjectReport {
            path: display,
            programs,
        },
        human,
    })
}

/// The finding for a program whose type neither its section name nor `--type` tells: without
/// a type there is no context, no helper set and no return range to check against.
fn unknown_type(prog: &Program) -> Violation {
    *Violation::new(
        Code::UnsupportedCtx,
        bpfvet_analyzer::isa::InsnIdx(0),
        format!(
            "cannot tell the program type from section `{}`: pass --type (e.g. --type xdp, --type sched_cls)",
            prog.section()
        ),
        format!(
            "none from the verifier: libbpf refuses the load (failed to guess program type from ELF section '{}')",
            prog.section()
        ),
    )
}

/// Reports `prog` as rejected with the one finding `v` (no analysis ran), and renders it.
fn single_finding(
    prog: &Program,
    v: Violation,
    srcs: &render::Sources,
    render_opts: &render::Options,
    human: &mut String,
) -> ProgramReport {
    let diags = diagnostics::build(prog, std::slice::from_ref(&v));
    let res = VerifyResult {
        verdict: bpfvet_analyzer::verifier::Verdict::Reject,
        violations: vec![v],
        stats: Default::default(),
        stack_depth: Vec::new(),
        logged_stack_depth: Vec::new(),
        own: None,
    };
    let ty = prog.prog_type().map_or("unknown", |t| t.name());
    let rep = report::program(prog, ty, &res, &diags, None);
    human.push_str(&header(&rep));
    human.push_str(&render::human(prog, &diags, srcs, render_opts));
    rep
}

/// The one-line verdict above a program's diagnostics (deterministic: no timings).
pub(super) fn header(p: &ProgramReport) -> String {
    let s = &p.stats;
    let stack = s.stack_depth.iter().max().copied().unwrap_or(0);
    if p.verdict == "accept" {
        let w = match p.warnings.len() {
            0 => String::new(),
            n => format!(", {n} warning{}", if n == 1 { "" } else { "s" }),
        };
        format!(
            "  {} ({}, section {}): accepted: {} insns, {} processed, {} states, stack {stack} bytes{w}\n",
            p.name, p.prog_type, p.section, s.insns, s.processed, s.states
        )
    } else {
        let n = p.findings.len();
        format!(
            "  {} ({}, section {}): REJECTED, {n} finding{}\n",
            p.name,
            p.prog_type,
            p.section,
            if n == 1 { "" } else { "s" }
        )
    }
}

/// For each finding, the explored path reaching it with what each step changed.
fn traces(prog: &Program, input: &Input<'_>, opts: &Options, res: &VerifyResult) -> String {
    let mut out = String::new();
    for v in &res.violations {
        let mut rec = explain::PathRecorder::new(prog.insns(), v.insn, &v.path);
        let _ = verify_observed(input, opts, &mut rec);
        let _ = writeln!(out, "trace of {} at insn {}:", v.code, v.insn);
        match rec.finish() {
            Some(steps) => out.push_str(&explain::render_path(prog, &steps)),
            None => {
                let _ = writeln!(
                    out,
                    "  (the path is too long to record, or was not found again)"
                );
            }
        }
        out.push('\n');
    }
    out
}
