//! `bpfvet cfg`: the control-flow graph of one program as Graphviz DOT or SVG, blocks labelled
//! with their source lines, the path to the first finding in red, unreachable blocks greyed.
//! SVG goes through the `dot` binary when it is installed.

use super::check::{options, override_type, rules_for};
use super::load::{load_object, select};
use bpfvet_analyzer::cfg;
use bpfvet_analyzer::diagnostics::dot::{dot, Highlight};
use bpfvet_analyzer::diagnostics::provenance;
use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_analyzer::verifier::env::Input;
use bpfvet_analyzer::verifier::{verify_observed, Observer};
use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};

#[derive(clap::Args, Debug)]
#[command(
    after_help = "Exit codes: 0 written, 2 input or usage error (or no `dot` for --format svg)."
)]
pub struct Args {
    /// A BPF ELF object file.
    file: PathBuf,
    /// The program to draw (its function name).
    #[arg(long)]
    program: String,
    #[arg(long, value_enum, default_value_t = Format::Dot)]
    format: Format,
    /// Override the program type guessed from the section name.
    #[arg(long = "type", value_name = "PROG_TYPE")]
    prog_type: Option<String>,
    /// Check against what this kernel version allows (e.g. 5.15).
    #[arg(long, value_name = "X.Y")]
    kernel: Option<String>,
    /// Apply the rules for programs loaded without CAP_BPF/CAP_PERFMON.
    #[arg(long)]
    unprivileged: bool,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    Dot,
    Svg,
}

/// Collects the instructions any explored path reaches.
struct Reached(BTreeSet<InsnIdx>);

impl Observer for Reached {
    fn path_start(&mut self, pc: InsnIdx) {
        self.0.insert(pc);
    }
    fn wants_states(&self) -> bool {
        true
    }
    fn step(
        &mut self,
        pc: InsnIdx,
        _: &bpfvet_analyzer::verifier::state::AbstractState,
        _: Option<&bpfvet_analyzer::verifier::state::AbstractState>,
    ) {
        self.0.insert(pc);
    }
}

pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let opts = options(args.kernel.as_deref(), args.unprivileged)?;
    let obj = load_object(&args.file)?;
    let prog = select(&obj, &args.file, Some(&args.program))?[0];
    let rules = rules_for(prog, override_type(args.prog_type.as_deref())?)?;
    let mut reached = Reached(BTreeSet::new());
    let kbtf = super::load::kernel_btf(None)?;
    let (relocated, _) = super::load::core_relocate(&obj, prog, kbtf);
    let res = verify_observed(
        &Input::new(&obj, relocated.as_ref().unwrap_or(prog), rules).with_kernel_btf(kbtf),
        &opts,
        &mut reached,
    );
    let (graph, _) = cfg::build(prog.insns());
    let mut hl = Highlight {
        reached: reached.0,
        ..Highlight::default()
    };
    if let Some(v) = res.violations.first() {
        hl.fault = Some(v.insn);
        hl.path = provenance::walk(prog.insns(), v.insn, &v.path)
            .map(|w| w.iter().map(|s| s.insn).collect())
            .unwrap_or_default();
    }
    let text = dot(prog, &graph, &hl);
    let out = match args.format {
        Format::Dot => text.into_bytes(),
        Format::Svg => match svg(&text) {
            Ok(svg) => svg,
            Err(why) => {
                eprintln!("bpfvet cfg: cannot make SVG: {why}; install Graphviz (`apt-get install graphviz`) or use --format dot");
                return Ok(ExitCode::from(2));
            }
        },
    };
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(&out).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        r => r.map(|()| ExitCode::SUCCESS).map_err(Into::into),
    }
}

/// Runs `dot -Tsvg` on `text`.
fn svg(text: &str) -> Result<Vec<u8>, String> {
    let mut child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("the Graphviz `dot` program could not be run ({e})"))?;
    child
        .stdin
        .take()
        .ok_or("no stdin")?
        .write_all(text.as_bytes())
        .map_err(|e| e.to_string())?;
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "dot failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}
