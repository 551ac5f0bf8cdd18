//! Warnings on accepted programs: close to a verifier limit, or using something deprecated.
//! The kernel accepts these programs today; a small change or an older kernel may not.
//!
//! | id | when |
//! |---|---|
//! | `complexity-budget` | more than half of the 1M processed-instruction budget used |
//! | `stack-nearly-full` | a function uses more than 448 of its 512 stack bytes |
//! | `loop-unrolled` | a loop's bound was proven only by the verifier walking its iterations |
//! | `deprecated-helper` | a helper newer kernels deprecate (with its replacement) |
//!
//! Known imprecision: `loop-unrolled` is a heuristic on the counters (the program has a loop
//! and the verifier processed more than [`UNROLLED_FACTOR`] times its instructions), not a
//! per-loop count.

use super::{Diagnostic, Severity};
use crate::cfg;
use crate::isa::{CallTarget, Insn, InsnIdx};
use crate::program::Program;
use crate::verifier::VerifyResult;

/// Every warning id, for the catalogue.
pub const WARNING_CODES: &[&str] = &[
    "complexity-budget",
    "stack-nearly-full",
    "loop-unrolled",
    "deprecated-helper",
];

/// One line saying what a warning id checks.
pub fn summary(code: &str) -> &'static str {
    match code {
        "complexity-budget" => {
            "The verifier used more than half of its 1M processed-instruction budget."
        }
        "stack-nearly-full" => "A function uses more than 448 of its 512 stack bytes.",
        "loop-unrolled" => "A loop's bound was proven only by walking its iterations.",
        "deprecated-helper" => "A helper that newer kernels deprecate.",
        _ => "",
    }
}

/// Processed instructions above which `complexity-budget` fires (half the kernel's budget).
pub const COMPLEXITY_WARN: u64 = 500_000;
/// Stack bytes above which `stack-nearly-full` fires.
pub const STACK_WARN: u32 = 448;
/// Processed instructions per instruction above which a program with a loop was unrolled.
pub const UNROLLED_FACTOR: u64 = 32;

/// Deprecated helpers: (id, name, replacement).
const DEPRECATED: &[(i32, &str, &str)] = &[
    (
        4,
        "bpf_probe_read",
        "bpf_probe_read_kernel() or bpf_probe_read_user() (Linux 5.5)",
    ),
    (
        45,
        "bpf_probe_read_str",
        "bpf_probe_read_kernel_str() or bpf_probe_read_user_str() (Linux 5.5)",
    ),
];

fn warning(
    code: &'static str,
    insn: InsnIdx,
    message: String,
    note: String,
    help: &str,
) -> Diagnostic {
    Diagnostic {
        code,
        severity: Severity::Warning,
        message,
        insn,
        primary: "here".to_string(),
        labels: Vec::new(),
        notes: vec![note],
        help: Some(help.to_string()),
        kernel_message: String::new(),
        path: Vec::new(),
        also_at: Vec::new(),
    }
}

/// The warnings for an accepted program (none for a rejected one).
pub fn warnings(prog: &Program, res: &VerifyResult) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if !res.violations.is_empty() {
        return out;
    }
    let processed = res.stats.processed;
    if processed > COMPLEXITY_WARN {
        out.push(warning(
            "complexity-budget",
            InsnIdx(0),
            format!("the verifier processed {processed} instructions, over half of its 1000000 budget"),
            format!("{} instructions, {processed} processed over all paths", prog.insns().len()),
            "bound loops with smaller constants or move loop bodies into bpf_loop() callbacks before the program grows",
        ));
    }
    for (i, depth) in res.stack_depth.iter().enumerate() {
        if *depth > STACK_WARN {
            let start = prog.subprogs().get(i).map_or(InsnIdx(0), |s| s.start);
            let name = prog.subprogs().get(i).map_or("?", |s| s.name.as_str());
            out.push(warning(
                "stack-nearly-full",
                start,
                format!("{name} uses {depth} of its 512 stack bytes"),
                format!("the limit is 512 bytes per function and for a whole call chain; this warns above {STACK_WARN}"),
                "move large buffers into a per-CPU array map",
            ));
        }
    }
    let (graph, _) = cfg::build(prog.insns());
    if let Some(&head) = graph.loop_heads().first() {
        if processed > UNROLLED_FACTOR * prog.insns().len() as u64 {
            out.push(warning(
                "loop-unrolled",
                head,
                "the verifier proved this loop ends only by walking through its iterations".to_string(),
                format!("{processed} instructions processed for {} in the program", prog.insns().len()),
                "use bpf_loop() or an open-coded iterator (bpf_for) so the cost does not grow with the bound",
            ));
        }
    }
    for (at, insn) in prog.insns().iter().enumerate() {
        if let Insn::Call(CallTarget::Helper(id)) = insn {
            if let Some((_, name, instead)) = DEPRECATED.iter().find(|(d, _, _)| d == id) {
                out.push(warning(
                    "deprecated-helper",
                    InsnIdx(at as u32),
                    format!("{name}() is deprecated"),
                    format!("{name} reads kernel or user memory depending on the architecture"),
                    &format!("use {instead}"),
                ));
            }
        }
    }
    out
}
