//! Machine-readable reports: the versioned JSON schema of `bpfvet check --format json`
//! (documented in docs/json.md), SARIF 2.1.0 ([`sarif`]), GitHub Actions annotations
//! ([`github`]) and GitLab Code Quality issues ([`codequality`]).
//!
//! Architecture invariant: this is the only module of the analyzer that derives `Serialize`.
//! Reports are built from [`Diagnostic`]s, so every format says the same thing as the human
//! output. Output is deterministic except `stats.duration_us`, which the CLI fills in and tests
//! leave out.
//!
//! Schema versioning: `version` changes only when a field is removed or changes meaning; new
//! fields may appear within a version (version 1 gained `severity`, `location`, `instruction`,
//! `labels`, `notes`, `help`, `path`, `also_at` and `warnings` this way).

pub mod codequality;
pub mod github;
pub mod sarif;

use crate::diagnostics::{insn_text, source_pos, Diagnostic, Severity};
use crate::isa::InsnIdx;
use crate::program::Program;
use crate::verifier::VerifyResult;
use serde::Serialize;

/// The schema version.
pub const VERSION: u32 = 1;

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub version: u32,
    pub objects: Vec<ObjectReport>,
}

/// One object file.
#[derive(Clone, Debug, Serialize)]
pub struct ObjectReport {
    /// The path as given on the command line.
    pub path: String,
    pub programs: Vec<ProgramReport>,
}

/// One program's verdict.
#[derive(Clone, Debug, Serialize)]
pub struct ProgramReport {
    pub name: String,
    pub section: String,
    #[serde(rename = "type")]
    pub prog_type: String,
    /// `accept` or `reject`.
    pub verdict: &'static str,
    /// Errors: why the kernel rejects the program.
    pub findings: Vec<Finding>,
    /// Warnings on an accepted program (empty for rejected ones).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<Finding>,
    pub stats: Stats,
    /// With `--min-kernel`: the oldest kernel release under which the program is accepted
    /// (`"none"` when no known release accepts it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_kernel: Option<String>,
    /// bpfvet's own verdict where the kernel's (`verdict`) is `program-too-complex` but the
    /// program is safe: every loop proved to end by widening (`verifier::loop_proof`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_verdict: Option<OwnVerdictReport>,
}

/// Both verdicts on a program the kernel gives up on.
#[derive(Clone, Debug, Serialize)]
pub struct OwnVerdictReport {
    /// Always `safe` (no second verdict is reported otherwise).
    pub verdict: &'static str,
    /// The kernel's verdict: `program-too-complex`.
    pub kernel_verdict: &'static str,
    /// Processed instructions at which the kernel gives up (its budget plus one).
    pub kernel_processed: u64,
    /// Instructions bpfvet's widening exploration processed to prove the program safe.
    pub processed: u64,
    /// Each loop closed by widening, with the bound found.
    pub loops: Vec<LoopReport>,
}

/// One loop and the counter that bounds it.
#[derive(Clone, Debug, Serialize)]
pub struct LoopReport {
    /// The loop's head.
    pub at: InsnLocation,
    /// The register counting its turns, e.g. `r6`.
    pub counter: String,
    /// The counter's range at the head over every turn (unsigned).
    pub min: u64,
    pub max: u64,
    /// Smallest change per turn, and `up` or `down`.
    pub step: u64,
    pub direction: &'static str,
    /// Most turns in one entry to the loop.
    pub max_turns: u64,
}

impl OwnVerdictReport {
    /// One line per loop after a one-line summary, as the human output and SARIF print it.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!(
            "bpfvet's own verdict: safe (the kernel gives up after {} processed instructions; \
             bpfvet proved every loop ends in {} instructions, by widening)",
            self.kernel_processed, self.processed
        )];
        for l in &self.loops {
            let place = match &l.at.location {
                Some(loc) => format!("insn {} ({}:{})", l.at.insn, loc.file, loc.line),
                None => format!("insn {}", l.at.insn),
            };
            out.push(format!(
                "loop at {place}: {} counts {} by at least {} within [{}, {}], so at most {} turns",
                l.counter, l.direction, l.step, l.min, l.max, l.max_turns
            ));
        }
        out
    }
}

/// The report of bpfvet's own verdict, when `res` has one.
fn own_verdict(prog: &Program, res: &VerifyResult) -> Option<OwnVerdictReport> {
    let own = res.own.as_ref()?;
    Some(OwnVerdictReport {
        verdict: "safe",
        kernel_verdict: "program-too-complex",
        kernel_processed: res.stats.processed,
        processed: own.processed,
        loops: own
            .loops
            .iter()
            .map(|l| LoopReport {
                at: at(prog, l.head),
                counter: format!("r{}", l.counter.num()),
                min: l.lo,
                max: l.hi,
                step: l.step,
                direction: if l.increasing { "up" } else { "down" },
                max_turns: l.max_turns,
            })
            .collect(),
    })
}

/// A source position from BTF line info.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SourceLocation {
    /// The path BTF records (relative to the directory the object was built in).
    pub file: String,
    pub line: u32,
    /// 1-based; 0 when BTF does not say.
    pub column: u32,
}

/// An instruction with its source position.
#[derive(Clone, Debug, Serialize)]
pub struct InsnLocation {
    pub insn: u32,
    /// The instruction in llvm-objdump syntax.
    pub instruction: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
}

/// A secondary location.
#[derive(Clone, Debug, Serialize)]
pub struct LabelReport {
    #[serde(flatten)]
    pub at: InsnLocation,
    pub message: String,
}

/// One branch decision on the failing path.
#[derive(Clone, Debug, Serialize)]
pub struct PathReport {
    #[serde(flatten)]
    pub at: InsnLocation,
    pub taken: bool,
}

/// One finding.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    pub code: &'static str,
    /// `error` or `warning`.
    pub severity: &'static str,
    pub message: String,
    pub kernel_message: String,
    pub insn: u32,
    pub instruction: String,
    /// `file:line`, kept from the first version of the schema; see `location`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<SourceLocation>,
    pub labels: Vec<LabelReport>,
    pub notes: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    pub path: Vec<PathReport>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub also_at: Vec<u32>,
}

/// The verifier's counters.
#[derive(Clone, Debug, Serialize)]
pub struct Stats {
    pub insns: usize,
    pub processed: u64,
    pub states: u64,
    pub peak_states: u64,
    /// Deepest stack use of each function, in bytes.
    pub stack_depth: Vec<u32>,
    /// Wall-clock time of the verification (absent in deterministic output).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_us: Option<u64>,
}

/// The source position of `insn`, if BTF has one.
pub fn location(prog: &Program, insn: InsnIdx) -> Option<SourceLocation> {
    source_pos(prog, insn).map(|(file, line, column)| SourceLocation {
        file: file.to_string(),
        line,
        column,
    })
}

fn at(prog: &Program, insn: InsnIdx) -> InsnLocation {
    InsnLocation {
        insn: insn.0,
        instruction: insn_text(prog, insn),
        location: location(prog, insn),
    }
}

/// The report of one diagnostic.
pub fn finding(prog: &Program, d: &Diagnostic) -> Finding {
    let loc = location(prog, d.insn);
    Finding {
        code: d.code,
        severity: d.severity.name(),
        message: d.message.clone(),
        kernel_message: d.kernel_message.clone(),
        insn: d.insn.0,
        instruction: insn_text(prog, d.insn),
        line: loc.as_ref().map(|l| format!("{}:{}", l.file, l.line)),
        location: loc,
        labels: d
            .labels
            .iter()
            .map(|l| LabelReport {
                at: at(prog, l.insn),
                message: l.message.clone(),
            })
            .collect(),
        notes: d.notes.clone(),
        help: d.help.clone(),
        path: d
            .path
            .iter()
            .map(|s| PathReport {
                at: at(prog, s.insn),
                taken: s.taken,
            })
            .collect(),
        also_at: d.also_at.iter().map(|i| i.0).collect(),
    }
}

/// One program's report. `diags` are its diagnostics, errors and warnings alike.
pub fn program(
    prog: &Program,
    prog_type: &str,
    res: &VerifyResult,
    diags: &[Diagnostic],
    duration_us: Option<u64>,
) -> ProgramReport {
    let (errors, warnings): (Vec<&Diagnostic>, Vec<&Diagnostic>) =
        diags.iter().partition(|d| d.severity == Severity::Error);
    ProgramReport {
        name: prog.name().to_string(),
        section: prog.section().to_string(),
        prog_type: prog_type.to_string(),
        verdict: if errors.is_empty() {
            "accept"
        } else {
            "reject"
        },
        findings: errors.iter().map(|d| finding(prog, d)).collect(),
        warnings: warnings.iter().map(|d| finding(prog, d)).collect(),
        stats: Stats {
            insns: prog.insns().len(),
            processed: res.stats.processed,
            states: res.stats.states,
            peak_states: res.stats.peak_states,
            stack_depth: res.stack_depth.clone(),
            duration_us,
        },
        min_kernel: None,
        own_verdict: own_verdict(prog, res),
    }
}

/// Serializes a report as pretty JSON.
pub fn to_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
