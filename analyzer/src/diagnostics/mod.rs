//! Findings as reports a person can act on: each [`Violation`] becomes a [`Diagnostic`] with a
//! primary location (the faulting instruction), secondary labels on the instructions the
//! offending value came from, notes with the abstract values, the failing path, a concrete
//! fix, and the kernel's message for the same error.
//!
//! Data flow: `Violation ──diagnostics::build──▶ Diagnostic ──render::human──▶ text` (codespan),
//! and `Diagnostic ──report──▶ JSON | SARIF | GitHub annotations`.
//!
//! Invariants: a diagnostic's `insn` and every label's `insn` index the program's instructions;
//! findings that share a root cause (same code, same origin of the offending value) are merged
//! into one diagnostic whose `also_at` lists the other faulting instructions, so one mistake is
//! reported once. Output is deterministic: it depends only on the program and the violations.
//!
//! Architecture: codespan's types stay inside [`render`]; this module reads no files (the CLI
//! hands it the source texts it found, in [`render::Sources`]).

pub mod dot;
pub mod explain;
pub mod help;
pub mod kernel_log;
pub mod provenance;
pub mod render;
pub mod warnings;

use crate::isa::{Insn, InsnIdx, Reg};
use crate::program::Program;
use crate::rules::HelperTable;
use crate::verifier::violation::{Code, Violation};
use provenance::{Origin, Role};

/// How bad a diagnostic is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Severity {
    /// The kernel rejects the program.
    Error,
    /// The kernel accepts the program, but it is close to a limit or uses something deprecated.
    Warning,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
        }
    }
}

/// A secondary location: an instruction that contributed, and what it did.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Label {
    pub insn: InsnIdx,
    pub message: String,
}

/// One branch decision on the path to the failure.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PathStep {
    /// The conditional jump.
    pub insn: InsnIdx,
    /// Whether the jump was taken (otherwise control fell through).
    pub taken: bool,
}

/// A finding ready to render.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Diagnostic {
    /// The stable kebab-case id (a [`Code`] name, or a warning id from [`warnings`]).
    pub code: &'static str,
    pub severity: Severity,
    /// What is wrong, in plain words.
    pub message: String,
    /// The primary location.
    pub insn: InsnIdx,
    /// The text under the primary location.
    pub primary: String,
    /// Where the offending value came from, in program order.
    pub labels: Vec<Label>,
    /// The abstract values involved.
    pub notes: Vec<String>,
    /// The concrete fix.
    pub help: Option<String>,
    /// The kernel verifier's message for the same error (empty when there is none).
    pub kernel_message: String,
    /// The branch decisions on the explored path that reached the failure.
    pub path: Vec<PathStep>,
    /// Other faulting instructions with the same root cause.
    pub also_at: Vec<InsnIdx>,
}

/// Codes whose finding is about the program's shape or size, not a value: no provenance.
const NO_VALUE: &[Code] = &[
    Code::EmptyProgram,
    Code::JumpOutOfRange,
    Code::JumpIntoLdImm64,
    Code::CallOutOfRange,
    Code::FallsOffEnd,
    Code::UnreachableInsn,
    Code::BackEdge,
    Code::InfiniteLoop,
    Code::ProgramTooComplex,
    Code::JumpSequenceTooComplex,
    Code::ProgramTooLarge,
    Code::InvalidInsn,
    Code::CallStackTooDeep,
    Code::CombinedStackTooLarge,
    Code::FramePointerWrite,
    Code::GplOnlyHelper,
    Code::HelperNotAllowed,
    Code::SleepableHelper,
    Code::UnsupportedHelper,
    Code::UnsupportedCtx,
    Code::AttachRefused,
    Code::MapRefused,
    Code::InvalidLdImm64,
    Code::InternalError,
    // These carry their own related instruction (where the reference or lock was taken).
    Code::ReferenceLeak,
    Code::SpinLockMisuse,
    Code::TailCallMisuse,
];

/// Most secondary labels on one diagnostic: the value's birth and the nearest steps before the
/// fault are kept.
const MAX_LABELS: usize = 6;

/// The diagnostics for every violation of `prog`, cascades merged.
pub fn build(prog: &Program, violations: &[Violation]) -> Vec<Diagnostic> {
    let mut res: Vec<(Diagnostic, Option<InsnIdx>)> = Vec::new();
    for v in violations {
        let (d, root) = build_one(prog, v);
        match res
            .iter_mut()
            .find(|(o, r)| o.code == d.code && root.is_some() && *r == root)
        {
            Some((first, _)) => first.also_at.push(d.insn),
            None => res.push((d, root)),
        }
    }
    res.into_iter().map(|(d, _)| d).collect()
}

/// One violation's diagnostic and its root (the instruction where the offending value was
/// born), by which cascades are recognized.
fn build_one(prog: &Program, v: &Violation) -> (Diagnostic, Option<InsnIdx>) {
    let insns = prog.insns();
    let insn = insns.get(v.insn.idx());
    let reg = if NO_VALUE.contains(&v.code) {
        None
    } else {
        provenance::offending_reg(insn, &v.kernel_message)
    };
    let origins = origins(insns, v, reg);
    let root = origins
        .iter()
        .find(|o| o.role == Role::Born)
        .map(|o| o.insn)
        .or_else(|| v.related.first().map(|r| r.insn));
    let mut labels: Vec<Label> = v
        .related
        .iter()
        .map(|r| Label {
            insn: r.insn,
            message: r.note.clone(),
        })
        .collect();
    for o in select(insns, &origins) {
        if o.insn != v.insn && !labels.iter().any(|l| l.insn == o.insn) {
            labels.push(Label {
                insn: o.insn,
                message: o.note.clone(),
            });
        }
    }
    labels.sort_by_key(|l| l.insn);
    let d = Diagnostic {
        code: v.code.name(),
        severity: Severity::Error,
        message: v.message.clone(),
        insn: v.insn,
        primary: if v.insn.idx() < prog.insns().len() {
            format!(
                "{} (insn {}: `{}`)",
                primary_text(v, reg),
                v.insn,
                insn_text(prog, v.insn)
            )
        } else {
            primary_text(v, reg)
        },
        labels,
        notes: v.notes.clone(),
        help: help::help_for(v.code, reg),
        kernel_message: v.kernel_message.trim().to_string(),
        path: v
            .path
            .iter()
            .map(|&(insn, taken)| PathStep { insn, taken })
            .collect(),
        also_at: Vec::new(),
    };
    (d, root)
}

fn origins(insns: &[Insn], v: &Violation, reg: Option<Reg>) -> Vec<Origin> {
    let Some(reg) = reg.filter(|r| *r != Reg::FP) else {
        return Vec::new();
    };
    let Some(walk) = provenance::walk(insns, v.insn, &v.path) else {
        return Vec::new();
    };
    let helpers = HelperTable::standard();
    let mut res = provenance::trace(insns, helpers, &walk, reg);
    // For an offset finding, the scalar added to the pointer matters as much as the pointer.
    if matches!(
        v.code,
        Code::UnboundedVarOff | Code::MapValueOutOfBounds | Code::PacketOutOfBounds
    ) {
        let added = res
            .iter()
            .find_map(|o| match (o.role, insns.get(o.insn.idx())) {
                (
                    Role::Computed,
                    Some(Insn::Alu {
                        src: crate::isa::Operand::Reg(s),
                        ..
                    }),
                ) => Some((o.insn, *s)),
                _ => None,
            });
        if let Some((at, s)) = added {
            if let Some(pos) = walk.iter().rposition(|w| w.insn == at) {
                res.extend(provenance::trace_from(insns, helpers, &walk, pos, s));
            }
        }
    }
    res
}

/// The origins worth a label: every birth and branch, then the nearest other steps, with only
/// the nearest computation of each register (`r1 <<= 3` after `r1 >>= 32` says enough).
fn select<'a>(insns: &[Insn], origins: &'a [Origin]) -> Vec<&'a Origin> {
    let mut keep: Vec<&Origin> = origins
        .iter()
        .filter(|o| matches!(o.role, Role::Born | Role::Branch))
        .collect();
    let mut computed: Vec<Reg> = Vec::new();
    for o in origins {
        if keep.len() >= MAX_LABELS {
            break;
        }
        if o.role == Role::Computed {
            let Some(Insn::Alu { dst, .. } | Insn::Neg { dst, .. } | Insn::Endian { dst, .. }) =
                insns.get(o.insn.idx())
            else {
                continue;
            };
            if computed.contains(dst) {
                continue;
            }
            computed.push(*dst);
        }
        if !keep.iter().any(|k| k.insn == o.insn) {
            keep.push(o);
        }
    }
    keep.truncate(MAX_LABELS);
    keep
}

fn primary_text(v: &Violation, reg: Option<Reg>) -> String {
    match (v.code, reg) {
        (Code::NullDeref, Some(r)) => format!("{r} may be NULL here"),
        (Code::UninitRegRead, Some(r)) => format!("{r} has no value here"),
        (Code::ReferenceLeak, _) => {
            "the program can return here with the reference held".to_string()
        }
        _ => lowercase_first(v.code.summary().trim_end_matches('.')),
    }
}

/// A sentence as a label: only its first letter lowered, so names like BTF or R10 survive.
fn lowercase_first(s: &str) -> String {
    let mut chars = s.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_lowercase().chain(chars).collect::<String>()
    })
}

/// The instruction text of `insn` in `prog`, as `llvm-objdump` prints it.
pub fn insn_text(prog: &Program, insn: InsnIdx) -> String {
    // A slot that did not decode holds a placeholder: show it as llvm-objdump does.
    if prog.undecoded().iter().any(|u| u.insn == insn) {
        return "<unknown>".to_string();
    }
    // An unresolved kfunc call prints as `call kfunc 0x0`; the extern it was relocated
    // against names it.
    if let Some(crate::program::RelocTarget::Extern { name }) = prog.reloc_at(insn) {
        if let Some(crate::isa::Insn::Call(crate::isa::CallTarget::Kfunc { .. })) =
            prog.insns().get(insn.idx())
        {
            return format!("call kfunc {name}");
        }
    }
    let printer = crate::isa::text::Printer::new(crate::isa::text::Syntax::Bpfvet);
    prog.insns()
        .get(insn.idx())
        .map_or_else(|| format!("<insn {insn}>"), |i| printer.insn(i, insn))
}

/// The source position of an instruction as BTF records it: (file, line, column).
pub fn source_pos(prog: &Program, insn: InsnIdx) -> Option<(&str, u32, u32)> {
    prog.line_for(insn)
        .filter(|l| l.line > 0)
        .map(|l| (l.file.as_str(), l.line, l.col))
}
