//! `bpfvet check`: the verdict on every program of one or more objects.

use super::load::{load_object, select};
use bpfvet_analyzer::program::{Object, Program};
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input, KernelVersion, Options};
use bpfvet_analyzer::verifier::{verify, Verdict, VerifyResult};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// BPF ELF object files.
    #[arg(required = true)]
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
    /// Apply the rules for programs loaded without CAP_BPF/CAP_PERFMON.
    #[arg(long)]
    unprivileged: bool,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Human,
    Json,
}

/// The JSON report (schema version 1, documented in docs/json.md).
#[derive(Serialize)]
struct Report {
    version: u32,
    objects: Vec<ObjectReport>,
}

#[derive(Serialize)]
struct ObjectReport {
    path: String,
    programs: Vec<ProgramReport>,
}

#[derive(Serialize)]
struct ProgramReport {
    name: String,
    section: String,
    #[serde(rename = "type")]
    prog_type: String,
    verdict: &'static str,
    findings: Vec<Finding>,
    stats: StatsReport,
}

#[derive(Serialize)]
struct Finding {
    code: &'static str,
    message: String,
    kernel_message: String,
    insn: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    line: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    notes: Vec<String>,
}

#[derive(Serialize)]
struct StatsReport {
    insns: usize,
    processed: u64,
    states: u64,
    peak_states: u64,
    duration_us: u64,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = options(&args)?;
    let override_type = match &args.prog_type {
        None => None,
        Some(t) => Some(ProgTypeRules::by_name(t).ok_or_else(|| {
            anyhow::anyhow!("unknown program type {t:?} (known: {})", known_types())
        })?),
    };
    // Objects are independent: load and check them on all cores, then print in order.
    let results: Vec<anyhow::Result<ObjectReport>> = std::thread::scope(|s| {
        let handles: Vec<_> = args
            .files
            .iter()
            .map(|path| s.spawn(|| check_object(path, args.program.as_deref(), override_type, &opts)))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(anyhow::anyhow!("internal error: checker panicked")))).collect()
    });
    let mut objects = Vec::new();
    for r in results {
        objects.push(r?);
    }
    let rejected = objects.iter().flat_map(|o| &o.programs).any(|p| p.verdict == "reject");
    match args.format {
        Format::Json => println!("{}", serde_json::to_string_pretty(&Report { version: 1, objects })?),
        Format::Human => print_human(&objects),
    }
    Ok(if rejected { ExitCode::from(1) } else { ExitCode::SUCCESS })
}

fn options(args: &Args) -> anyhow::Result<Options> {
    let mut opts = Options { privileged: !args.unprivileged, ..Options::default() };
    if let Some(k) = &args.kernel {
        let (maj, min) = k.split_once('.').ok_or_else(|| anyhow::anyhow!("--kernel wants X.Y, got {k:?}"))?;
        opts.kernel = KernelVersion::new(maj.parse()?, min.parse()?);
    }
    Ok(opts)
}

fn known_types() -> String {
    bpfvet_analyzer::rules::PROG_TYPES.iter().map(|p| p.name).collect::<Vec<_>>().join(", ")
}

fn check_object(path: &Path, program: Option<&str>, override_type: Option<&'static ProgTypeRules>, opts: &Options) -> anyhow::Result<ObjectReport> {
    let obj = load_object(path)?;
    let mut programs = Vec::new();
    for prog in select(&obj, path, program)? {
        programs.push(check_program(&obj, prog, override_type, opts)?);
    }
    Ok(ObjectReport { path: path.display().to_string(), programs })
}

fn check_program(obj: &Object, prog: &Program, override_type: Option<&'static ProgTypeRules>, opts: &Options) -> anyhow::Result<ProgramReport> {
    let rules = match override_type {
        Some(r) => r,
        None => prog.prog_type().and_then(|t| ProgTypeRules::by_id(t.raw())).ok_or_else(|| {
            anyhow::anyhow!(
                "program {} in section {:?}: cannot tell its program type from the section name; pass --type (e.g. --type xdp)",
                prog.name(),
                prog.section()
            )
        })?,
    };
    let input = Input::new(obj, prog, rules);
    let start = Instant::now();
    let res: VerifyResult = verify(&input, opts);
    let duration_us = start.elapsed().as_micros() as u64;
    let findings = res
        .violations
        .iter()
        .map(|v| Finding {
            code: v.code.name(),
            message: v.message.clone(),
            kernel_message: v.kernel_message.clone(),
            insn: v.insn.0,
            line: prog.line_for(v.insn).map(|l| format!("{}:{}", l.file, l.line)),
            notes: v.notes.clone(),
        })
        .collect();
    Ok(ProgramReport {
        name: prog.name().to_string(),
        section: prog.section().to_string(),
        prog_type: rules.name.to_string(),
        verdict: if res.verdict == Verdict::Accept { "accept" } else { "reject" },
        findings,
        stats: StatsReport {
            insns: prog.insns().len(),
            processed: res.stats.processed,
            states: res.stats.states,
            peak_states: res.stats.peak_states,
            duration_us,
        },
    })
}

fn print_human(objects: &[ObjectReport]) {
    for o in objects {
        println!("{}", o.path);
        for p in &o.programs {
            let s = &p.stats;
            if p.verdict == "accept" {
                println!(
                    "  {} ({}, section {}): accepted — {} insns, {} processed, {} states",
                    p.name, p.prog_type, p.section, s.insns, s.processed, s.states
                );
                continue;
            }
            println!("  {} ({}, section {}): REJECTED", p.name, p.prog_type, p.section);
            for f in &p.findings {
                let at = f.line.as_ref().map(|l| format!(" ({l})")).unwrap_or_default();
                println!("    error[{}] at insn {}{at}: {}", f.code, f.insn, f.message);
                for n in &f.notes {
                    println!("      note: {n}");
                }
                if !f.kernel_message.is_empty() {
                    println!("      kernel: {}", f.kernel_message);
                }
            }
        }
    }
}
