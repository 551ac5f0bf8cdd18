//! The analysis as a reader wants it: observers of the verifier's exploration that print each
//! processed instruction with only what it changed (`bpfvet explain`), or keep the one explored
//! path that reached a finding (`bpfvet check --trace`).
//!
//! Two syntaxes: ours (`r1 = scalar(...)`, the source line above its instructions) and the
//! kernel's log level 2 (`7: (79) r1 = *(u64 *)(r0 +0)    ; R0=map_value(...) R1=scalar()`, see
//! [`super::kernel_log`]), close enough to diff
//! against a real verifier log line by line.
//!
//! Known imprecision: [`PathRecorder`] tells which pending branch a new path resumes from by the
//! exploration's last-in-first-out order (the most recent jump on the path whose target is the
//! new path's start); a jump whose outcome the verifier knew and whose target is that same
//! instruction can confuse it, in which case the trace shows a sibling path.

use super::kernel_log;
use super::render::where_is;
use crate::cfg::Cfg;
use crate::isa::{Insn, InsnIdx, Reg};
use crate::program::MapDef;
use crate::program::Program;
use crate::verifier::state::{AbstractState, Frame, PtrKind, RegState, StackByte, StackSlot};
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
    /// Kernel syntax: the object's maps, for `map=NAME,ks=..,vs=..`.
    maps: &'a [MapDef],
    /// Kernel syntax: the kernel's BTF, for the type names of kernel object pointers.
    kernel_btf: Option<&'a crate::btf::Btf>,
    /// Kernel syntax: the branch a new path resumes from, until its first step or pruning.
    resumed: Option<(InsnIdx, String)>,
    /// Kernel syntax: the full state is printed at the first step of each path.
    at_path_start: bool,
    /// Kernel syntax: the text of the last source line printed (the kernel compares texts).
    last_source: Option<String>,
    /// The names of the global functions, by subprogram index (`None`: not global).
    globals: Vec<Option<String>>,
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
            maps: &[],
            kernel_btf: None,
            resumed: None,
            at_path_start: false,
            last_source: None,
            globals: Vec::new(),
        }
    }

    /// The object's maps, which the kernel syntax names in map pointers.
    pub fn with_maps(mut self, maps: &'a [MapDef]) -> Explainer<'a> {
        self.maps = maps;
        self
    }

    /// The kernel's BTF, whose type names the kernel syntax prints after `ptr_`.
    pub fn with_kernel_btf(mut self, btf: Option<&'a crate::btf::Btf>) -> Explainer<'a> {
        self.kernel_btf = btf;
        self
    }

    fn names(&self) -> kernel_log::Names<'a> {
        kernel_log::Names {
            maps: self.maps,
            kernel_btf: self.kernel_btf,
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
        self.at_path_start = true;
        if self.syntax == Syntax::Kernel {
            return;
        }
        if self.wanted(pc) || self.only.is_empty() {
            self.last_line = None;
            if self.lines < MAX_LINES {
                self.line(&format!("-- path from insn {pc}"));
            }
        }
    }

    fn branch_resumed(&mut self, from: InsnIdx, pc: InsnIdx, state: &AbstractState) {
        if self.syntax == Syntax::Kernel && self.wanted(pc) {
            let f = state.cur();
            let all = kernel_log::frame_text(f, state.frame_no(), u16::MAX, None, self.names());
            self.resumed = Some((from, all));
        }
    }

    fn globals(&mut self, names: &[Option<&str>]) {
        self.globals = names.iter().map(|n| n.map(str::to_owned)).collect();
    }

    // The kernel's level-1 lines around global functions (its `check_func_call` and
    // `do_check_subprogs`), which selftests expect.
    fn global_start(&mut self, subprog: usize, name: &str) {
        if self.syntax == Syntax::Kernel && self.lines < MAX_LINES {
            self.line(&format!("Validating {name}() func#{subprog}..."));
        }
    }

    fn global_done(&mut self, subprog: usize, name: &str, safe: bool) {
        if safe && self.syntax == Syntax::Kernel && self.lines < MAX_LINES {
            self.line(&format!(
                "Func#{subprog} ('{name}') is safe for any args that match its prototype"
            ));
        }
    }

    fn pruned(&mut self, pc: InsnIdx) {
        if !self.wanted(pc) {
            return;
        }
        let text = match (self.syntax, self.resumed.take()) {
            (Syntax::Bpfvet, _) => format!("{pc:>6}: pruned: an explored state covers this one"),
            (Syntax::Kernel, Some((from, _))) => format!("\nfrom {from} to {pc}: safe"),
            (Syntax::Kernel, None) => format!("{pc}: safe"),
        };
        self.at_path_start = false;
        self.line(&text);
    }

    fn step(&mut self, pc: InsnIdx, before: &AbstractState, after: Option<&AbstractState>) {
        if !self.wanted(pc) {
            return;
        }
        if self.syntax == Syntax::Kernel {
            self.kernel_step(pc, before, after);
            return;
        }
        let full = !self.only.is_empty() || self.cfg.is_loop_head(pc) || is_join(self.cfg, pc);
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
}

impl Explainer<'_> {
    /// One instruction in the kernel's log level 2 layout: the state at a path's start, the
    /// source line when it changes, then `N: (op) insn ; the registers and slots it touched`.
    fn kernel_step(&mut self, pc: InsnIdx, before: &AbstractState, after: Option<&AbstractState>) {
        if std::mem::take(&mut self.at_path_start) || !self.only.is_empty() {
            let all = kernel_log::frame_text(
                before.cur(),
                before.frame_no(),
                u16::MAX,
                None,
                self.names(),
            );
            if let Some((from, text)) = self.resumed.take() {
                self.line(&format!("\nfrom {from} to {pc}:{text}"));
            }
            self.line(&format!("{pc}:{all}"));
        }
        if let Some(l) = self.prog.line_for(pc) {
            let text = l.text.trim_start();
            if !text.is_empty() && self.last_source.as_deref() != Some(text) {
                let file = l.file.rsplit('/').next().unwrap_or(&l.file);
                let line = format!("; {text} @ {file}:{}", l.line);
                self.line(&line);
                self.last_source = Some(text.to_string());
            }
        }
        let Some(insn) = self.prog.insns().get(pc.idx()) else {
            return;
        };
        let mut text = kernel_log::insn_line(pc, insn, self.maps);
        // A call to a global function that passed the argument checks: the kernel says so
        // before the state after the call.
        if let (Insn::Call(crate::isa::CallTarget::Local(imm)), Some(_)) = (insn, after) {
            let entry = InsnIdx((i64::from(pc.0) + 1 + i64::from(*imm)) as u32);
            let global = self.cfg.subprog_at(entry).and_then(|i| {
                let name = self.globals.get(i)?.as_deref()?;
                Some(format!("Func#{i} ('{name}') is global and assumed valid."))
            });
            if let Some(g) = global {
                self.line(&text);
                text = g;
            }
        }
        if let Some(a) = after {
            let (uses, defs) = crate::verifier::liveness::uses_defs(insn);
            let slots = stack_slots_touched(insn, before);
            let state = kernel_log::frame_text(
                a.cur(),
                a.frame_no(),
                uses | defs,
                Some(&slots),
                self.names(),
            );
            if !state.is_empty() {
                let pad = kernel_log::state_padding(text.len());
                text.push_str(&" ".repeat(pad));
                text.push(';');
                text.push_str(&state);
            }
        }
        self.line(&text);
    }
}

/// The stack slots a load, store or atomic reaches through a stack pointer with a known
/// offset: the ones the kernel prints after the instruction.
fn stack_slots_touched(insn: &Insn, before: &AbstractState) -> Vec<usize> {
    let (base, off, size) = match *insn {
        Insn::Load { src, off, size, .. } => (src, off, size),
        Insn::Store { dst, off, size, .. } | Insn::Atomic { dst, off, size, .. } => {
            (dst, off, size)
        }
        _ => return Vec::new(),
    };
    let RegState::Ptr(p) = before.reg(base) else {
        return Vec::new();
    };
    let (PtrKind::Stack { .. }, Some(var)) = (p.kind, p.var_off.as_const()) else {
        return Vec::new();
    };
    let start = i64::from(p.off) + var as i64 + i64::from(off);
    let end = start + i64::from(size.bytes());
    // Byte -1 is in slot 0 (fp-8), byte -9 in slot 1, ...
    (start..end)
        .filter(|b| *b < 0)
        .map(|b| ((-b - 1) / 8) as usize)
        .fold(Vec::new(), |mut v, s| {
            if !v.contains(&s) {
                v.push(s);
            }
            v
        })
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

/// A stack slot: the spilled register in bpfvet's syntax, or the kernel's byte letters.
fn slot_text(slot: &StackSlot) -> String {
    match &slot.spilled {
        // The kernel prints the register of a narrow spill too (its lowest byte is spilled).
        Some(s) if slot.bytes[0] == StackByte::Spill => s.to_string(),
        _ => kernel_log::slot_letters(slot),
    }
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
