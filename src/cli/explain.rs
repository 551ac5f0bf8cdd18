//! `bpfvet explain`: the analysis of one program as a reader wants it, every processed
//! instruction with its source line and only what it changed, full states at join points and
//! loop heads; `--at` narrows it to one source line or instruction, `--format kernel` prints the
//! kernel verifier log's syntax so it can be diffed against a real log.

use super::check::{options, override_type, rules_for};
use super::load::{load_object, select};
use bpfvet_analyzer::cfg;
use bpfvet_analyzer::diagnostics::explain::{Explainer, Syntax};
use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_analyzer::verifier::env::Input;
use bpfvet_analyzer::verifier::{verify_observed, Verdict};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 the program is accepted, 1 rejected, 2 input or usage error."
)]
pub struct Args {
    /// A BPF ELF object file.
    file: PathBuf,
    /// The program to explain (its function name).
    #[arg(long)]
    program: String,
    /// Show only this source line (a number) or instruction (`insn:N` or `#N`).
    #[arg(long, value_name = "LINE|insn:N")]
    at: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Human)]
    format: Format,
    /// Override the program type guessed from the section name.
    #[arg(long = "type", value_name = "PROG_TYPE")]
    prog_type: Option<String>,
    /// Check against what this kernel version allows (e.g. 5.15).
    #[arg(long, value_name = "X.Y")]
    kernel: Option<String>,
    #[command(flatten)]
    build: super::kernel_build::BuildArgs,
    /// Apply the rules for programs loaded without CAP_BPF/CAP_PERFMON.
    #[arg(long)]
    unprivileged: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// Source lines, instructions and what each changed.
    Human,
    /// The kernel verifier log's syntax (log level 2).
    Kernel,
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let mut opts = options(args.kernel.as_deref(), args.unprivileged)?;
    args.build.apply(&mut opts)?;
    let obj = load_object(&args.file)?;
    let prog = select(&obj, &args.file, Some(&args.program))?[0];
    let rules = rules_for(prog, override_type(args.prog_type.as_deref())?)?;
    let only = match &args.at {
        None => Vec::new(),
        Some(at) => resolve_at(prog, at)?,
    };
    let (graph, _) = cfg::build(prog.insns());
    let syntax = if args.format == Format::Kernel {
        Syntax::Kernel
    } else {
        Syntax::Bpfvet
    };
    let kbtf = super::load::kernel_btf(None)?;
    let (relocated, _) = super::load::core_relocate(&obj, prog, kbtf);
    // The log shows the instructions as loaded: with their CO-RE offsets resolved.
    let loaded = relocated.as_ref().unwrap_or(prog);
    let mut ex = Explainer::new(loaded, &graph, syntax, only)
        .with_maps(obj.maps())
        .with_kernel_btf(kbtf);
    let res = verify_observed(
        &Input::new(&obj, loaded, rules).with_kernel_btf(kbtf),
        &opts,
        &mut ex,
    );
    let mut out = ex.finish();
    let verdict = if res.verdict == Verdict::Accept {
        "accepted".to_string()
    } else {
        format!("rejected: {} finding(s)", res.violations.len())
    };
    out.push_str(&format!(
        "{}: {verdict}, {} processed, {} states\n",
        prog.name(),
        res.stats.processed,
        res.stats.states
    ));
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(out.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => return Ok(ExitCode::SUCCESS),
        r => r?,
    }
    Ok(if res.verdict == Verdict::Accept {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The instructions `--at` names: `insn:N`/`#N` is one instruction, a bare number every
/// instruction of that source line.
fn resolve_at(prog: &bpfvet_analyzer::program::Program, at: &str) -> anyhow::Result<Vec<InsnIdx>> {
    if let Some(n) = at.strip_prefix("insn:").or_else(|| at.strip_prefix('#')) {
        let n: u32 = n
            .parse()
            .map_err(|_| anyhow::anyhow!("--at {at:?}: not an instruction number"))?;
        anyhow::ensure!(
            (n as usize) < prog.insns().len(),
            "--at {at:?}: the program has {} instructions",
            prog.insns().len()
        );
        return Ok(vec![InsnIdx(n)]);
    }
    let line: u32 = at
        .parse()
        .map_err(|_| anyhow::anyhow!("--at wants a source line number or insn:N, got {at:?}"))?;
    let res: Vec<InsnIdx> = (0..prog.insns().len() as u32)
        .map(InsnIdx)
        .filter(|i| prog.line_for(*i).is_some_and(|l| l.line == line))
        .collect();
    anyhow::ensure!(
        !res.is_empty(),
        "--at {line}: no instruction of {} comes from that source line",
        prog.name()
    );
    Ok(res)
}
