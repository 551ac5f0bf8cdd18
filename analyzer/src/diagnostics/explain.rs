//! The analysis as a reader wants it: observers of the verifier's exploration that print each
//! processed instruction with only what it changed (`bpfvet explain`), or keep the one explored
//! path that reached a finding (`bpfvet check --trace`).
//!
//! Two syntaxes: ours (`r1 = scalar(...)`, the source line above its instructions) and the
//! kernel's log level 2 (`7: (79) r1 = *(u64 *)(r0 +0)    ; R1_w=...`), close enough to diff
//! against a real verifier log line by line.
//!
//! Known imprecision: [`PathRecorder`] tells which pending branch a new path resumes from by the
//! exploration's last-in-first-out order (the most recent jump on the path whose target is the
//! new path's start); a jump whose outcome the verifier knew and whose target is that same
//! instruction can confuse it, in which case the trace shows a sibling path.

use super::render::where_is;
use crate::cfg::Cfg;
use crate::isa::{Insn, InsnIdx, Reg};
use crate::program::Program;
use crate::verifier::state::{AbstractState, Frame, StackByte, StackSlot};
use crate::verifier::Observer;
use std::fmt::Write as _;

/// Which syntax to print states in.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Syntax {
    /// `r1 = ...`, with source lines.
    Bpfvet,
    /// The kernel verifier log's `R1_w=...` lines.
    Kernel,
}

/// Most lines an [`Explainer`] prints before it stops (a large program explores millions).
const MAX_LINES: usize = 200_000;

/// An observer that prints every processed instruction and its effect.
pub struct Explainer<'a> {
    prog: &'a Program,
    cfg: &'a Cfg,
    syntax: Syntax,
    /// Print only steps at these instructions (all when empty).
    only: Vec<InsnIdx>,
    out: String,
    lines: usize,
    last_line: Option<(String, u32)>,
}

impl std::fmt::Debug for Explainer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Explainer")
            .field("syntax", &self.syntax)
            .field("lines", &self.lines)
            .finish_non_exhaustive()
    }
}

impl<'a> Explainer<'a> {
    pub fn new(
        prog: &'a Program,
        cfg: &'a Cfg,
        syntax: Syntax,
        only: Vec<InsnIdx>,
    ) -> Explainer<'a> {
        Explainer {
            prog,
            cfg,
            syntax,
            only,
            out: String::new(),
            lines: 0,
            last_line: None,
        }
    }

    /// The text printed so far.
    pub fn finish(mut self) -> String {
        if self.lines >= MAX_LINES {
            let _ = writeln!(self.out, "... stopped after {MAX_LINES} lines");
        }
        self.out
    }

    fn wanted(&self, pc: InsnIdx) -> bool {
        self.lines < MAX_LINES && (self.only.is_empty() || self.only.contains(&pc))
    }

    fn line(&mut self, text: &str) {
        self.out.push_str(text);
        self.out.push('\n');
        self.lines += 1;
    }
}

impl Observer for Explainer<'_> {
    fn wants_states(&self) -> bool {
        true
    }

    fn path_start(&mut self, pc: InsnIdx) {
        if self.wanted(pc) || self.only.is_empty() {
            self.last_line = None;
            let text = match self.syntax {
                Syntax::Bpfvet => format!("-- path from insn {pc}"),
                Syntax::Kernel => format!("from {pc}:"),
            };
            if self.lines < MAX_LINES {
                self.line(&text);
            }
        }
    }

    fn pruned(&mut self, pc: InsnIdx) {
        if self.wanted(pc) {
            let text = match self.syntax {
                Syntax::Bpfvet => format!("{pc:>6}: pruned: an explored state covers this one"),
                Syntax::Kernel => format!("{pc}: safe"),
            };
            self.line(&text);
        }
    }

    fn step(&mut self, pc: InsnIdx, before: &AbstractState, after: Option<&AbstractState>) {
        if !self.wanted(pc) {
            return;
        }
        let full = !self.only.is_empty() || self.cfg.is_loop_head(pc) || is_join(self.cfg, pc);
        match self.syntax {
            Syntax::Bpfvet => {
                if let Some(l) = self.prog.line_for(pc) {
                    let key = (l.file.clone(), l.line);
                    if self.last_line.as_ref() != Some(&key) && !l.text.trim().is_empty() {
                        let text = format!("; {}   [{}:{}]", l.text.trim(), l.file, l.line);
                        self.line(&text);
                        self.last_line = Some(key);
                    }
                }
                if full {
                    let text = format!(
                        "        state: {}",
                        full_state(before.cur(), Syntax::Bpfvet)
                    );
                    self.line(&text);
                }
                let changes = after.map_or_else(
                    || "(the path ends here)".to_string(),
                    |a| diff(before, a, Syntax::Bpfvet),
                );
                let text = format!("{pc:>6}: {:<40} {changes}", super::insn_text(self.prog, pc));
                self.line(text.trim_end());
            }
            Syntax::Kernel => {
                if full {
                    let text = format!("{pc}: {}", full_state(before.cur(), Syntax::Kernel));
                    self.line(&text);
                }
                let op = self
                    .prog
                    .insns()
                    .get(pc.idx())
                    .map_or(0, |i| crate::isa::encode_one(i)[0]);
                let changes = after
                    .map(|a| diff(before, a, Syntax::Kernel))
                    .unwrap_or_default();
                let sep = if changes.is_empty() { "" } else { " ; " };
                let text = format!(
                    "{pc}: ({op:02x}) {}{sep}{changes}",
                    super::insn_text(self.prog, pc)
                );
                self.line(&text);
            }
        }
    }
}

fn is_join(cfg: &Cfg, pc: InsnIdx) -> bool {
    cfg.block_of(pc)
        .is_some_and(|b| cfg.block(b).start == pc && cfg.preds(b).count() > 1)
}

fn reg_name(r: Reg, syntax: Syntax, written: bool) -> String {
    match syntax {
        Syntax::Bpfvet => r.to_string(),
        Syntax::Kernel if written => format!("R{}_w", r.num()),
        Syntax::Kernel => format!("R{}", r.num()),
    }
}

/// What changed from `before` to `after` in the current frame: registers, then stack slots.
pub fn diff(before: &AbstractState, after: &AbstractState, syntax: Syntax) -> String {
    let mut parts = Vec::new();
    if before.frames.len() != after.frames.len() {
        parts.push(format!(
            "frame {} -> {}",
            before.frame_no(),
            after.frame_no()
        ));
    }
    let (b, a) = (before.cur(), after.cur());
    for r in Reg::all() {
        let changed = b.reg(r) != a.reg(r) || before.frames.len() != after.frames.len();
        if changed && (a.reg(r).is_init() || b.reg(r).is_init()) {
            parts.push(format!("{}={}", reg_name(r, syntax, true), a.reg(r)));
        }
    }
    for (i, slot) in a.stack.iter().enumerate() {
        if b.stack.get(i) != Some(slot) {
            parts.push(format!("fp-{}={}", 8 * (i + 1), slot_text(slot)));
        }
    }
    parts.join(" ")
}

/// Every initialized register and written stack slot of `f`.
pub fn full_state(f: &Frame, syntax: Syntax) -> String {
    let mut parts = Vec::new();
    for r in Reg::all() {
        if f.reg(r).is_init() {
            parts.push(format!("{}={}", reg_name(r, syntax, false), f.reg(r)));
        }
    }
    for (i, slot) in f.stack.iter().enumerate() {
        if slot.bytes.iter().any(|b| *b != StackByte::Invalid) {
            parts.push(format!("fp-{}={}", 8 * (i + 1), slot_text(slot)));
        }
    }
    parts.join(" ")
}

/// A stack slot the way the kernel prints it: the spilled register, or one letter per byte
/// (`?` never written, `m` data, `0` zero, `r` part of a spill), high byte first.
fn slot_text(slot: &StackSlot) -> String {
    if let Some(s) = &slot.spilled {
        if slot.bytes.iter().all(|b| *b == StackByte::Spill) {
            return s.to_string();
        }
    }
    slot.bytes
        .iter()
        .rev()
        .map(|b| match b {
            StackByte::Invalid => '?',
            StackByte::Misc => 'm',
            StackByte::Zero => '0',
            StackByte::Spill => 'r',
        })
        .collect()
}

/// One step of a recorded path.
#[derive(Clone, Debug)]
pub struct Step {
    pub insn: InsnIdx,
    pub before: AbstractState,
    pub after: Option<AbstractState>,
}

/// Most steps kept for one path: past this, recording stops (and the trace is not shown).
const MAX_PATH_STEPS: usize = 50_000;

/// An observer that keeps the explored path reaching `target` whose branch decisions are
/// `decisions` (a finding's `Violation::path`).
#[derive(Debug)]
pub struct PathRecorder<'a> {
    insns: &'a [Insn],
    target: InsnIdx,
    decisions: &'a [(InsnIdx, bool)],
    cur: Vec<Step>,
    /// Conditional jumps on `cur`: (position in `cur`, taken target).
    forks: Vec<(usize, InsnIdx)>,
    overflow: bool,
    found: Option<Vec<Step>>,
    started: bool,
}

impl<'a> PathRecorder<'a> {
    pub fn new(
        insns: &'a [Insn],
        target: InsnIdx,
        decisions: &'a [(InsnIdx, bool)],
    ) -> PathRecorder<'a> {
        PathRecorder {
            insns,
            target,
            decisions,
            cur: Vec::new(),
            forks: Vec::new(),
            overflow: false,
            found: None,
            started: false,
        }
    }

    /// The path, if it was seen.
    pub fn finish(self) -> Option<Vec<Step>> {
        self.found
    }

    /// Whether `decisions` is a subsequence of the jump outcomes on `cur`.
    fn agrees(&self) -> bool {
        let mut want = self.decisions.iter().peekable();
        for (i, s) in self.cur.iter().enumerate() {
            let Some(&&(at, taken)) = want.peek() else {
                break;
            };
            if s.insn == at {
                let next = self.cur.get(i + 1).map(|n| n.insn);
                let fell = next == Some(InsnIdx(at.0 + 1));
                if fell != taken {
                    want.next();
                }
            }
        }
        want.peek().is_none()
    }
}

impl Observer for PathRecorder<'_> {
    fn wants_states(&self) -> bool {
        self.found.is_none()
    }

    fn path_start(&mut self, pc: InsnIdx) {
        if !self.started {
            self.started = true;
            return;
        }
        match self.forks.iter().rposition(|(_, t)| *t == pc) {
            Some(k) => {
                let (pos, _) = self.forks[k];
                self.cur.truncate(pos + 1);
                self.forks.truncate(k);
                self.overflow = false;
            }
            None => {
                self.cur.clear();
                self.forks.clear();
            }
        }
    }

    fn step(&mut self, pc: InsnIdx, before: &AbstractState, after: Option<&AbstractState>) {
        if self.found.is_some() || self.overflow {
            return;
        }
        if self.cur.len() >= MAX_PATH_STEPS {
            self.overflow = true;
            return;
        }
        if let Some(insn @ (Insn::Jmp { .. } | Insn::MayGoto { .. })) = self.insns.get(pc.idx()) {
            if let Some(t) = pc.jump(insn.jump_offset().unwrap_or(0)) {
                self.forks.push((self.cur.len(), t));
            }
        }
        self.cur.push(Step {
            insn: pc,
            before: before.clone(),
            after: after.cloned(),
        });
        if pc == self.target && after.is_none() && self.agrees() {
            self.found = Some(std::mem::take(&mut self.cur));
        }
    }
}

/// The recorded path as text: each step with its source line and what it changed, the
/// registers' full state at the failing instruction.
pub fn render_path(prog: &Program, steps: &[Step]) -> String {
    let mut out = String::new();
    let mut last = None;
    for (i, s) in steps.iter().enumerate() {
        let loc = where_is(prog, s.insn);
        let line = prog.line_for(s.insn).map(|l| (l.file.clone(), l.line));
        if line != last && line.is_some() {
            let _ = writeln!(out, "  {loc}");
            last = line;
        }
        let changes = match &s.after {
            Some(a) => diff(&s.before, a, Syntax::Bpfvet),
            None => format!("fails with: {}", full_state(s.before.cur(), Syntax::Bpfvet)),
        };
        let dir = match (s.after.as_ref(), steps.get(i + 1)) {
            (Some(_), Some(n))
                if prog
                    .insns()
                    .get(s.insn.idx())
                    .is_some_and(|x| matches!(x, Insn::Jmp { .. })) =>
            {
                if n.insn == InsnIdx(s.insn.0 + 1) {
                    "  (falls through)"
                } else {
                    "  (jumps)"
                }
            }
            _ => "",
        };
        let text = format!("    {:>5}: {}{dir}", s.insn, super::insn_text(prog, s.insn));
        let _ = writeln!(out, "{text:<56} {changes}");
    }
    out.lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}
