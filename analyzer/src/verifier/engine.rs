//! The exploration engine: depth-first over paths like the kernel's `do_check`, with
//! checkpoints at prune points, pruning by subsumption, infinite-loop detection and budgets.
//!
//! It knows nothing of instruction semantics (that is `transfer`) or of what is checked (the
//! violations come back from `transfer`); it decides only the order of exploration and when a
//! path need not be explored further.
//!
//! Checkpoints form a tree along the exploration: each has a count of paths still alive below
//! it. A checkpoint whose count reaches zero is *complete*: every path from it was proven safe,
//! so a later state it covers can be pruned. A state exactly equal to an incomplete ancestor
//! checkpoint at the same instruction is an infinite loop.
//!
//! Open-coded iterators (`bpf_iter_num_next`) converge the kernel's way
//! (`process_iter_next_call` and `is_state_visited`): each `next` call is a checkpoint; there a
//! state whose iterator is active is pruned by *any* checkpoint covering it, also one still
//! being explored (the previous iteration: what follows is then the same loop body, already
//! being checked from a larger state), and the loop check is skipped; and the path on which
//! `next` returns an element has every scalar that differs from the previous iteration's
//! checkpoint widened to unknown, so that the loop body reaches a covered state after a few
//! iterations instead of being unrolled. The kernel widens only scalars it has not marked
//! precise; bpfvet widens every one that changed, because the previous iteration's checkpoint
//! is still being explored and its precision (`precision.rs`) is not final yet (a source of
//! false rejections for a loop that needs a counter's bounds, never of unsafe acceptance).
//!
//! Precision tracking and stack liveness (`precision.rs`): every processed instruction is
//! recorded in a history tree; demands for precision and stack reads walk it back and mark the
//! checkpoints passed, and complete checkpoints prune with what was marked.

use super::kfuncs::kf;
use super::liveness::RegSet;
use super::loop_proof::{Activations, Record};
use super::loops;
use super::precision::{self, History, Marks, NO_NODE};
use super::stack::DerivedSlots;
use super::state::{AbstractState, PtrKind, RegState};
use super::subsume::Shape;
use super::transfer::{Flow, Vm};
use super::violation::{Code, Violation};
use crate::isa::{CallTarget, Insn, InsnIdx, Reg};

mod checkpoints;

pub(super) use checkpoints::MixHasher;
use checkpoints::{Checkpoint, CpView, Entry, LoopHead, Visit, MAX_CHECKPOINTS_PER_INSN};

/// Counters of one run, with the kernel's meanings.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Stats {
    /// Instructions executed abstractly, over all paths.
    pub processed: u64,
    /// Checkpoints created (`total_states`).
    pub states: u64,
    /// Most checkpoints held at once (`peak_states`).
    pub peak_states: u64,
}

type CpId = u32;

struct Pending {
    pc: InsnIdx,
    state: AbstractState,
    cp: Option<CpId>,
    /// The last branch decision on this path, in `Engine::trail`.
    trail: u32,
    /// The conditional jump this path branched off at (`None` for the entry).
    from: Option<InsnIdx>,
    /// The newest node of this path's history (`precision.rs`).
    hist: u32,
    /// Its newest checkpoint marker, and the instructions recorded since.
    marker: u32,
    since: u32,
    /// The loops it is inside (widening exploration only).
    acts: Activations,
}

/// Longest stretch of history a precision or liveness walk follows without meeting a
/// checkpoint (none is made once an instruction holds `MAX_CHECKPOINTS_PER_INSN`, e.g. deep in
/// a long counted loop). Past it the path's checkpoints are made all-precise instead, once,
/// so that walks never make exploration quadratic in its length.
const WALK_LIMIT: u32 = 2048;

/// One branch decision; decisions form a tree shared by all paths (`u32::MAX`: the root).
struct TrailNode {
    parent: u32,
    at: InsnIdx,
    taken: bool,
}

const NO_TRAIL: u32 = u32::MAX;

/// Watches the exploration, for `explain` and `--trace`. Every method has an empty default, and
/// the engine pays for the state copies only when an observer asks for them.
pub trait Observer {
    /// Whether `step` wants the states (cloning them costs).
    fn wants_states(&self) -> bool {
        false
    }
    /// The instruction at `pc` turned `before` into `after` (`None` when it was unsafe or ended
    /// the path).
    fn step(&mut self, _pc: InsnIdx, _before: &AbstractState, _after: Option<&AbstractState>) {}
    /// A path starts (the entry, or a pending branch) at `pc`.
    fn path_start(&mut self, _pc: InsnIdx) {}
    /// A pending branch of the jump at `from` resumes at `pc` in `state` (called before
    /// `path_start`; the kernel's log prints this as `from X to Y: state`).
    fn branch_resumed(&mut self, _from: InsnIdx, _pc: InsnIdx, _state: &AbstractState) {}
    /// The path was pruned at `pc`: an explored state there covers it.
    fn pruned(&mut self, _pc: InsnIdx) {}
    /// Before any exploration: the name of each subprogram that is a global function (verified
    /// on its own, callers only check their arguments), by subprogram index.
    fn globals(&mut self, _names: &[Option<&str>]) {}
    /// The global function `subprog` starts being verified on its own.
    fn global_start(&mut self, _subprog: usize, _name: &str) {}
    /// The global function `subprog` was verified on its own; `safe` when nothing was found.
    fn global_done(&mut self, _subprog: usize, _name: &str, _safe: bool) {}
}

/// The observer that watches nothing.
#[derive(Debug)]
pub struct NoObserver;

impl Observer for NoObserver {}

/// What the engine found.
#[derive(Debug)]
pub struct Exploration {
    pub violations: Vec<Violation>,
    pub stats: Stats,
    /// Deepest stack use seen in each subprogram, in bytes.
    pub stack_depth: Vec<u32>,
    /// In a widening exploration, what it saw of the loops.
    pub(super) record: Option<Record>,
    /// Per subprogram: whether a call to it, a global function, was explored (the kernel
    /// verifies only those: `do_check_subprogs`).
    pub called_globals: Vec<bool>,
}

pub(super) struct Engine<'a, O: Observer> {
    obs: &'a mut O,
    /// Checkpoints currently held for comparison.
    held: u64,
    trail: Vec<TrailNode>,
    vm: &'a Vm<'a>,
    live: &'a [RegSet],
    cps: Vec<Checkpoint>,
    /// Per instruction, the checkpoints held there.
    explored: Vec<Vec<Entry>>,
    stats: Stats,
    violations: Vec<Violation>,
    stack_depth: Vec<u32>,
    history: History,
    /// Whether checkpoints compare imprecise scalars loosely (privileged programs only: the
    /// kernel treats every scalar of an unprivileged program as precise).
    precise_pruning: bool,
    /// In a widening exploration (`loop_proof.rs`), what it saw of the loops.
    proof: Option<Record>,
    /// See `Exploration::called_globals`.
    called_globals: Vec<bool>,
    /// The spilled slots `without_singular_ids` unlinked, shared by the checkpoints made of them.
    unlinked_slots: DerivedSlots,
}

/// Every register and slot of every frame: what a state pruned by an all-precise or a still
/// incomplete checkpoint must be assumed to need.
const ALL: Marks = Marks {
    regs: [0x7ff; super::state::MAX_CALL_FRAMES],
    slots: [u64::MAX; super::state::MAX_CALL_FRAMES],
};

impl<'a, O: Observer> Engine<'a, O> {
    pub fn new(vm: &'a Vm<'a>, live: &'a [RegSet], obs: &'a mut O) -> Self {
        Engine {
            obs,
            held: 0,
            trail: Vec::new(),
            vm,
            live,
            cps: Vec::new(),
            explored: std::iter::repeat_with(Vec::new)
                .take(vm.input.insns.len())
                .collect(),
            stats: Stats::default(),
            violations: Vec::new(),
            stack_depth: vec![0; vm.cfg.subprogs().len()],
            history: History::for_program(vm.input.insns),
            precise_pruning: vm.opts.precision && vm.opts.privileged,
            proof: None,
            called_globals: vec![false; vm.cfg.subprogs().len()],
            unlinked_slots: DerivedSlots::default(),
        }
    }

    /// Makes this a widening exploration (`loop_proof.rs`): each loop's state is widened after
    /// its first turn and may be covered by its own open checkpoint; pruning compares every
    /// scalar exactly.
    pub fn widening(mut self, record: Record) -> Self {
        self.proof = Some(record);
        self.precise_pruning = false;
        self
    }

    /// Makes every checkpoint from `marker` back all-precise: the path is too far from its
    /// newest checkpoint for walks to follow (see `WALK_LIMIT`).
    fn give_up_walks(&mut self, marker: u32) {
        self.history.mark_all(&mut CpView(&mut self.cps), marker);
    }

    /// Marks precise, along the chain ending at `hist`, what `need` (in `state`) came from; as
    /// demanded marks when `demanded` (see `Precision::demanded`).
    fn mark_chain(&mut self, hist: u32, need: Marks, state: &AbstractState, demanded: bool) {
        if !self.precise_pruning {
            return;
        }
        let callback = state.cur().callback_ret.is_some();
        self.history.mark_chain(
            self.vm.input.insns,
            &mut CpView(&mut self.cps),
            hist,
            need,
            state.frame_no(),
            callback,
            demanded,
        );
    }

    /// Explores every path from `init` at instruction 0.
    pub fn run(mut self, init: AbstractState, entry: InsnIdx) -> Exploration {
        let mut worklist = vec![Pending {
            pc: entry,
            state: init,
            cp: None,
            trail: NO_TRAIL,
            from: None,
            hist: NO_NODE,
            marker: NO_NODE,
            since: 0,
            acts: Activations::default(),
        }];
        'paths: while let Some(Pending {
            mut pc,
            mut state,
            mut cp,
            mut trail,
            from,
            mut hist,
            mut marker,
            mut since,
            mut acts,
        }) = worklist.pop()
        {
            if let Some(from) = from {
                self.obs.branch_resumed(from, pc, &state);
            }
            self.obs.path_start(pc);
            loop {
                let iter_next = self.is_iter_next(pc);
                let may_goto = matches!(
                    self.vm.input.insns.get(pc.idx()),
                    Some(Insn::MayGoto { .. })
                );
                let calls_back = self.calls_iterating_callback(pc);
                // The checkpoint made at this instruction on this visit, if any.
                let mut made_here = None;
                self.stats.processed += 1;
                if self.stats.processed > self.vm.opts.max_processed {
                    self.violations.push(*Violation::new(
                        Code::ProgramTooComplex,
                        pc,
                        format!(
                            "the verifier gave up after {} instructions: the program has too many paths or too long loops",
                            self.vm.opts.max_processed
                        ),
                        format!("BPF program is too large. Processed {} insn", self.stats.processed),
                    ));
                    break 'paths;
                }
                if calls_back {
                    // The path is back at a call that runs its callback again: what the
                    // previous run changed and no check found to matter is widened, as the
                    // kernel widens when a callback returns (`widen_imprecise_scalars`), so
                    // that runs converge (a counter in a context struct on the stack).
                    self.widen_from_prev_run(pc, cp, &mut state);
                }
                let activation = match self.proof.as_mut() {
                    Some(r) => r.step(pc, &state, &mut acts),
                    None => 0,
                };
                if self.vm.cfg.is_prune_point(pc) || iter_next || may_goto || calls_back {
                    // The previous turn's checkpoint of this loop, to widen against.
                    let prev = (activation != 0)
                        .then(|| self.prev_turn(pc, cp, activation))
                        .flatten();
                    let head = LoopHead {
                        iter_next,
                        may_goto,
                        calls_back,
                    };
                    // What pruning compares; a checkpoint made here keeps it (moved, not
                    // copied, when it had to be made apart from the path's state).
                    let unlinked = super::transfer::linked::without_singular_ids(
                        &state,
                        &mut self.unlinked_slots,
                    );
                    match self.visit(pc, (&state, unlinked), cp, head, activation) {
                        Visit::Prune(by) => {
                            // What made the old path safe must hold of this one's history.
                            let c = &self.cps[by as usize];
                            // What the old path's checks demanded so far is demanded of this
                            // one (the kernel's `propagate_precision`); the rest of what
                            // pruning compares is assumed.
                            let demanded = if c.prec.all {
                                Marks::default()
                            } else {
                                c.prec.demanded
                            };
                            let (need, reads) = if c.live > 0 || c.prec.all {
                                (ALL, ALL)
                            } else {
                                let reads = Marks {
                                    regs: c.prec.live_regs,
                                    slots: c.prec.live_slots,
                                };
                                (c.prec.marks, reads)
                            };
                            if since > WALK_LIMIT {
                                self.give_up_walks(marker);
                            } else if self.precise_pruning {
                                if !demanded.is_empty() {
                                    self.mark_chain(hist, demanded, &state, true);
                                }
                                if need != demanded {
                                    self.mark_chain(hist, need, &state, false);
                                }
                                self.history.mark_read(
                                    self.vm.input.insns,
                                    &mut CpView(&mut self.cps),
                                    hist,
                                    reads,
                                    state.frame_no(),
                                );
                            }
                            self.obs.pruned(pc);
                            self.end_path(&state, cp);
                            continue 'paths;
                        }
                        Visit::InfiniteLoop => {
                            self.violations.push(*Violation::new(
                                Code::InfiniteLoop,
                                pc,
                                "the loop returns to this instruction in exactly the same state, so it never ends",
                                format!("infinite loop detected at insn {pc}"),
                            ));
                            self.end_path(&state, cp);
                            continue 'paths;
                        }
                        Visit::Checkpoint(id) => {
                            if let Some(prev) = prev {
                                if let Some(old) = &self.cps[prev as usize].state {
                                    loops::widen(old, None, &mut state);
                                    self.cps[id as usize].state = Some(state.clone());
                                    // The checkpoint was the last one made at `pc`; its
                                    // fingerprint was taken of the state before widening.
                                    if let Some(e) = self.explored[pc.idx()].last_mut() {
                                        e.shape = Shape::of(&state);
                                        e.fingerprint = None;
                                    }
                                }
                            }
                            cp = Some(id);
                            made_here = Some(id);
                            if self.precise_pruning {
                                if since > WALK_LIMIT {
                                    // Above it lies a stretch walks gave up on: a walk from
                                    // below stops here, so nothing is left to demand of it.
                                    self.cps[id as usize].prec.all = true;
                                }
                                hist = self.history.checkpoint(hist, id);
                                marker = hist;
                                since = 0;
                            }
                        }
                        // No checkpoint was made because this instruction holds as many as
                        // it may: walks from here on would cross ever longer stretches of
                        // history (a long loop the kernel unrolls to its budget), so this
                        // path's checkpoints become all-precise now and later walks stop there.
                        Visit::Continue
                            if self.precise_pruning
                                && since <= WALK_LIMIT
                                && self.explored[pc.idx()].len() >= MAX_CHECKPOINTS_PER_INSN =>
                        {
                            self.give_up_walks(marker);
                            since = WALK_LIMIT + 1;
                        }
                        Visit::Continue => {}
                    }
                }
                let frame = state.cur();
                let d = &mut self.stack_depth[frame.subprog as usize];
                *d = (*d).max(frame.stack_depth());
                let before = self.obs.wants_states().then(|| state.clone());
                let insn = self.vm.input.insns.get(pc.idx());
                let noted = insn
                    .filter(|_| self.precise_pruning)
                    .map(|i| (i, self.history.before(i, &state)));
                // A helper's argument registers, read before the call clobbers them.
                let state_before_args = match (&noted, insn) {
                    (Some(_), Some(Insn::Call(CallTarget::Helper(_)))) => {
                        let mut a: [RegState; 6] = Default::default();
                        for (n, r) in a.iter_mut().enumerate().skip(1) {
                            *r = state.cur().regs[n].clone();
                        }
                        a
                    }
                    _ => Default::default(),
                };
                let res = self.vm.step(&mut state, pc);
                // Noted whether or not the call's arguments passed: the kernel stops at that
                // error, bpfvet goes on to report the function's own findings too.
                if let Some(Insn::Call(CallTarget::Local(imm))) = insn {
                    self.note_call(pc, *imm);
                }
                if let (Some((insn, b)), Ok(flow)) = (&noted, &res) {
                    let decided = matches!(flow, Flow::Next(_));
                    let depth_after = match flow {
                        Flow::Done => b.depth(),
                        _ => state.frame_no(),
                    };
                    // A program's return value matters only where its type restricts it (a
                    // global function's exit returns to no caller here and has no range).
                    let range_checked = state.cur().subprog == 0
                        && self
                            .vm
                            .input
                            .prog_type
                            .ret_range(self.vm.input.attach)
                            .is_some();
                    let outcome = precision::Outcome {
                        decided,
                        depth_after,
                        exit_range_checked: range_checked,
                    };
                    let (node, demand, mut reads) = self.history.after(hist, pc, insn, b, outcome);
                    // The registers it reads, for the checkpoints above (recorded liveness).
                    reads.regs[b.depth()] |= self.history.uses_defs(pc.0).0;
                    let r0 = &state.cur().regs[0];
                    let (demand, key_slots) =
                        self.helper_demand(insn, demand, &state_before_args, r0);
                    let walk = demand != 0 || !key_slots.is_empty() || !reads.is_empty();
                    if walk && since > WALK_LIMIT {
                        self.give_up_walks(marker);
                    } else if demand != 0 || !key_slots.is_empty() {
                        let mut need = key_slots;
                        need.regs[b.depth()] |= demand;
                        self.history.mark_chain(
                            self.vm.input.insns,
                            &mut CpView(&mut self.cps),
                            hist,
                            need,
                            b.depth(),
                            b.is_callback(),
                            true,
                        );
                    }
                    if !reads.is_empty() && since <= WALK_LIMIT {
                        self.history.mark_read(
                            self.vm.input.insns,
                            &mut CpView(&mut self.cps),
                            hist,
                            reads,
                            b.depth(),
                        );
                    }
                    hist = node;
                    since += 1;
                }
                if let Some(before) = &before {
                    let after =
                        matches!(res, Ok(Flow::Next(_) | Flow::Fork { .. })).then_some(&state);
                    self.obs.step(pc, before, after);
                }
                match res {
                    Ok(Flow::Next(next)) => pc = next,
                    Ok(Flow::Fork { cont, mut other }) => {
                        if iter_next || may_goto {
                            self.widen_from_prev_iteration(pc, cp, made_here, &mut other.1);
                        }
                        if let Some(c) = cp {
                            self.cps[c as usize].live += 1;
                        }
                        // A `may_goto` queues its fall-through and follows its jump.
                        let taken = self.trail_push(trail, pc, !may_goto);
                        trail = self.trail_push(trail, pc, may_goto);
                        worklist.push(Pending {
                            pc: other.0,
                            state: other.1,
                            cp,
                            trail: taken,
                            from: Some(pc),
                            hist,
                            marker,
                            since,
                            acts: acts.clone(),
                        });
                        if worklist.len() > self.vm.opts.max_pending {
                            self.violations.push(*Violation::new(
                                Code::JumpSequenceTooComplex,
                                pc,
                                "too many branches are pending at once",
                                format!("The sequence of {} jumps is too complex.", worklist.len()),
                            ));
                            break 'paths;
                        }
                        pc = cont;
                    }
                    Ok(Flow::Done) => {
                        self.end_path(&state, cp);
                        continue 'paths;
                    }
                    Err(mut v) => {
                        if !self
                            .violations
                            .iter()
                            .any(|o| o.code == v.code && o.insn == v.insn)
                        {
                            v.path = self.trail_path(trail);
                            self.violations.push(*v);
                        }
                        self.end_path(&state, cp);
                        continue 'paths;
                    }
                }
            }
        }
        Exploration {
            violations: self.violations,
            stats: self.stats,
            stack_depth: self.stack_depth,
            record: self.proof,
            called_globals: self.called_globals,
        }
    }

    /// Notes a call at `pc` (to `pc + 1 + imm`) whose target is a global function.
    fn note_call(&mut self, pc: InsnIdx, imm: i32) {
        let target = i64::from(pc.0) + 1 + i64::from(imm);
        let Ok(target) = u32::try_from(target) else {
            return;
        };
        if let Some(i) = self.vm.cfg.subprog_at(InsnIdx(target)) {
            if self.vm.globals.get(i).is_some_and(Option::is_some) {
                self.called_globals[i] = true;
            }
        }
    }

    /// Narrows what a helper call demands to what its signature lets decide safety: scalars
    /// passed as `ARG_ANYTHING` or plain scalars are not looked at (but for the helpers that
    /// require a constant there), while a map key on the stack is, when a constant key lets
    /// the lookup skip its NULL result. Returns the registers and the key's stack slots.
    fn helper_demand(
        &self,
        insn: &Insn,
        demand: u16,
        args: &[RegState; 6],
        ret: &RegState,
    ) -> (u16, Marks) {
        use crate::rules::Arg;
        let mut slots = Marks::default();
        let Insn::Call(CallTarget::Helper(id)) = insn else {
            return (demand, slots);
        };
        let Some(h) = self.vm.input.helpers.get(*id) else {
            return (demand, slots);
        };
        let Some(sig) = h.args else {
            return (demand, slots);
        };
        if matches!(h.name, "get_local_storage" | "snprintf") {
            return (demand, slots);
        }
        // `bpf_loop`'s count decides how many runs of the callback are explored (`loops.rs`).
        let mut keep = if h.name == "loop" { 1u16 << 1 } else { 0 };
        for (i, arg) in sig.iter().enumerate().take(5) {
            let bit = 1u16 << (i + 1);
            match arg {
                Arg::Anything | Arg::Scalar => {}
                // Only a lookup whose NULL result was skipped relied on the key's value (the
                // kernel marks the key only when it is a constant); a key of unknown value
                // decides nothing (`tracex3` `bpf_prog2` kept 64 log2 paths apart for it).
                Arg::MapKey if !returned_non_null_value(ret) => {}
                Arg::MapKey => {
                    if let Some(p) = args[i + 1].as_ptr() {
                        if let (PtrKind::Stack { frame }, Some(0)) = (p.kind, p.var_off.as_const())
                        {
                            // The 4 bytes a constant array key is read from.
                            let start = i64::from(p.off);
                            for at in [start, start + 3] {
                                if (-512..0).contains(&at) {
                                    let s = ((-at - 1) / 8) as u32;
                                    slots.slots[usize::from(frame)] |= 1u64 << s;
                                }
                            }
                        }
                    }
                }
                _ => keep |= bit,
            }
        }
        (demand & keep, slots)
    }

    /// Whether the instruction at `pc` calls a helper that runs its callback any number of
    /// times (`loops.rs`).
    fn calls_iterating_callback(&self, pc: InsnIdx) -> bool {
        let Some(Insn::Call(CallTarget::Helper(id))) = self.vm.input.insns.get(pc.idx()) else {
            return false;
        };
        if !loops::callbacks_run_repeatedly(self.vm.opts.kernel) {
            return false;
        }
        self.vm
            .input
            .helpers
            .get(*id)
            .is_some_and(|h| loops::iterates_callback(h.name))
    }

    /// Whether the instruction at `pc` calls an iterator's `next`.
    fn is_iter_next(&self, pc: InsnIdx) -> bool {
        matches!(
            self.vm.input.insns.get(pc.idx()),
            Some(Insn::Call(CallTarget::Kfunc { .. }))
        ) && self.vm.kfunc_at(pc).is_some_and(|k| k.has(kf::ITER_NEXT))
    }

    /// Whether r1 points at an active iterator (the argument of the `next` about to run).
    fn iter_arg_active(&self, state: &AbstractState) -> bool {
        let Some(p) = state.reg(Reg::R1).as_ptr() else {
            return false;
        };
        let PtrKind::Stack { frame } = p.kind else {
            return false;
        };
        if p.var_off.as_const() != Some(0) || p.off >= 0 || p.off % 8 != 0 {
            return false;
        }
        let slot = ((-i64::from(p.off) - 1) / 8) as usize;
        state
            .frames
            .get(usize::from(frame))
            .and_then(|f| f.slot(slot))
            .and_then(|s| s.iter)
            .is_some_and(|it| it.active)
    }

    /// Widens, in `queued` (the path on which `next` at `pc` returned an element), every scalar
    /// that differs from the previous iteration's checkpoint at `pc`: the nearest ancestor
    /// checkpoint at `pc` in the same call chain, other than the one made on this visit (the
    /// kernel's `find_prev_entry` and `widen_imprecise_scalars`).
    fn widen_from_prev_iteration(
        &self,
        pc: InsnIdx,
        cp: Option<CpId>,
        made_here: Option<CpId>,
        queued: &mut AbstractState,
    ) {
        let Some(&id) = self.prev_entries(pc, cp, made_here, queued, 1).first() else {
            return;
        };
        let c = &self.cps[id as usize];
        if let Some(prev) = &c.state {
            // Scalars found to matter keep their values, as in the kernel (a counter that
            // decided a branch on a drained iterator's path keeps counting: `iters.o`
            // `iter_pragma_unroll_loop`); where marks are missing or gave up, every changed
            // scalar is widened.
            let keep = (self.precise_pruning && !c.prec.all).then_some(&c.prec.demanded);
            loops::widen(prev, keep, queued);
        }
    }

    /// Widens, in `state` (back at a call that runs its callback again), the scalars that
    /// differ from the previous run's checkpoint at the call and are not marked precise there;
    /// where the marks gave up (every scalar counts), nothing is widened, as in the kernel;
    /// without precision tracking, every changed scalar is.
    fn widen_from_prev_run(&self, pc: InsnIdx, cp: Option<CpId>, state: &mut AbstractState) {
        let runs = self.prev_entries(pc, cp, None, state, DELAYED_WIDENING_RUNS);
        let Some(&id) = runs.first() else { return };
        let c = &self.cps[id as usize];
        let Some(prev) = &c.state else { return };
        if !self.precise_pruning {
            // No marks say what matters (every scalar is compared exactly): widen every change,
            // but only after a few runs (delayed widening), so that a callback run a fixed
            // small number of times keeps exact values.
            if runs.len() == DELAYED_WIDENING_RUNS {
                loops::widen(prev, None, state);
            }
        } else if !c.prec.all {
            loops::widen(prev, Some(&c.prec.marks), state);
        }
    }

    /// The checkpoints at `pc` up the path from `cp` (other than `skip`) whose call chain is
    /// `state`'s, nearest first, at most `n`: a loop's previous turns or a callback's previous
    /// runs (the kernel's `find_prev_entry`).
    fn prev_entries(
        &self,
        pc: InsnIdx,
        cp: Option<CpId>,
        skip: Option<CpId>,
        state: &AbstractState,
        n: usize,
    ) -> Vec<CpId> {
        let same_calls = |s: &AbstractState| {
            s.frames.len() == state.frames.len()
                && s.frames
                    .iter()
                    .zip(&state.frames)
                    .all(|(a, b)| a.return_to == b.return_to && a.subprog == b.subprog)
        };
        let mut found = Vec::new();
        let mut at = cp;
        while let Some(id) = at {
            let c = &self.cps[id as usize];
            at = c.parent;
            if Some(id) != skip && c.pc == pc && c.state.as_ref().is_some_and(same_calls) {
                found.push(id);
                if found.len() == n {
                    break;
                }
            }
        }
        found
    }

    fn trail_push(&mut self, parent: u32, at: InsnIdx, taken: bool) -> u32 {
        self.trail.push(TrailNode { parent, at, taken });
        (self.trail.len() - 1) as u32
    }

    fn trail_path(&self, mut node: u32) -> Vec<(InsnIdx, bool)> {
        let mut res = Vec::new();
        while node != NO_TRAIL {
            let n = &self.trail[node as usize];
            res.push((n.at, n.taken));
            node = n.parent;
        }
        res.reverse();
        res
    }
}

/// Whether a helper returned a map value that cannot be NULL (a lookup with a constant key in
/// an array map).
fn returned_non_null_value(ret: &RegState) -> bool {
    ret.as_ptr()
        .is_some_and(|p| matches!(p.kind, PtrKind::MapValue { .. }) && !p.maybe_null)
}

/// Without precision tracking, callback runs are widened only once this many earlier runs of
/// the same call are up the path.
const DELAYED_WIDENING_RUNS: usize = 8;
