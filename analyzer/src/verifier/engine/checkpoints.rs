//! The scan of an instruction's checkpoints (the kernel's `is_state_visited`): what each
//! checkpoint keeps, the per-instruction lists the scan reads first, pruning by subsumption,
//! the infinite-loop checks, eviction, and the bookkeeping of paths alive below a checkpoint.

use super::{CpId, Engine, Observer};
use crate::isa::InsnIdx;
use crate::verifier::loops;
use crate::verifier::precision::{self, Precision};
use crate::verifier::state::AbstractState;
use crate::verifier::subsume::{covers, shapes_rule_out, Shape};

/// In field order (`repr(C)`): the scan of an instruction's checkpoints (`visit`) reads, for
/// each whose [`Entry`] does not rule it out, whether it is complete and its state first.
#[repr(C)]
pub(super) struct Checkpoint {
    /// Paths alive below this checkpoint; zero means complete.
    pub(super) live: u32,
    /// The instruction it was taken at.
    pub(super) pc: InsnIdx,
    /// `None` once evicted: the id stays for the parent links, the state is freed.
    pub(super) state: Option<AbstractState>,
    pub(super) parent: Option<CpId>,
    /// The loop activation it was taken in, when it heads a loop in a widening exploration
    /// (`loop_proof.rs`); 0 otherwise.
    pub(super) activation: u32,
    /// The loop's first turn through `pc` on this path (itself when none is found): what the
    /// loop check of kernels before 6.6 compares with (`first_turn_at`).
    pub(super) first_turn: CpId,
    /// Which of its scalars were found to matter (`precision.rs`).
    pub(super) prec: Precision,
}

/// What the scan of an instruction's checkpoints reads of each before its record, kept in the
/// instruction's list (`Engine::explored`): a contiguous array, where the records lie apart,
/// each first read a cache miss (the top entry of the profile). A checkpoint whose shape rules
/// it out, or whose fingerprint says it is not the same state, is passed over without its
/// record being touched (the loop check against up to 1,024 open checkpoints of `loop1`).
pub(super) struct Entry {
    pub(super) id: CpId,
    /// Whether every path from it was explored (its record's `live` is 0; set by `end_path`).
    pub(super) complete: bool,
    /// Times it pruned a path, and times it was compared without pruning (eviction).
    pub(super) hits: u32,
    pub(super) misses: u32,
    /// The state's [`Shape`]: most comparisons fail on it, without reading the state.
    pub(super) shape: Shape,
    /// [`fingerprint`] of the state: equal states have equal fingerprints, so the loop check
    /// against checkpoints still being explored compares states only when these agree. Taken
    /// when a loop check first needs it: most checkpoints never meet one, and hashing whole
    /// states was the top entry of the profile.
    pub(super) fingerprint: Option<u64>,
}

/// The checkpoints as a precision walk sees them.
pub(super) struct CpView<'a>(pub(super) &'a mut [Checkpoint]);

impl precision::Checkpoints for CpView<'_> {
    fn get(&mut self, id: u32) -> Option<(&AbstractState, &mut Precision)> {
        let c = &mut self.0[id as usize];
        c.state.as_ref().map(|s| (s, &mut c.prec))
    }

    fn all_precise(&self, id: u32) -> bool {
        self.0[id as usize].prec.all
    }

    fn set_all_precise(&mut self, id: u32) {
        self.0[id as usize].prec.all = true;
    }
}

/// A hash of part of what the infinite-loop check compares: each frame's registers, position
/// and stack size, the references and the held lock. Equal states hash equal, which is all
/// the check needs (it compares whole states when hashes agree); the stack's contents are
/// left out because hashing them byte by byte was the top entry of the profile on the
/// kernel's largest programs (docs/benchmarks.md), and states that differ only there are rare.
fn fingerprint(s: &AbstractState) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = MixHasher(0);
    for f in &s.frames {
        f.regs.hash(&mut h);
        f.subprog.hash(&mut h);
        f.return_to.hash(&mut h);
        f.stack.len().hash(&mut h);
    }
    s.refs.hash(&mut h);
    s.active_lock.hash(&mut h);
    s.res_locks.hash(&mut h);
    s.rcu_lock.hash(&mut h);
    h.finish()
}

/// A multiply-rotate hasher (the scheme of rustc's `FxHasher`): the fingerprint needs no
/// resistance to chosen collisions, only speed, and the standard SipHash took 25-40 % of the
/// analysis time on the kernel's largest programs (`perf`, docs/benchmarks.md).
#[derive(Default)]
pub(in crate::verifier) struct MixHasher(u64);

impl MixHasher {
    const K: u64 = 0xf135_7aea_2e62_a9c5;

    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(26) ^ word).wrapping_mul(Self::K);
    }
}

impl std::hash::Hasher for MixHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// A complete checkpoint that missed more than `MISS_FACTOR * hits + MISS_ALLOWANCE` times is
/// dropped: it is unlikely to prune anything (the kernel's eviction heuristic, with its factor).
const MISS_FACTOR: u32 = 3;

/// The misses a checkpoint may have before its first hit. The kernel allows 3, but it counts a
/// miss only where it keeps the new state (at most one prune point in 2 jumps and 8
/// instructions, one in 20 jumps or 100 instructions inside a loop), and it keeps far fewer
/// states; bpfvet keeps one at every prune point and counts every comparison, so with 3 the
/// turns of a loop evicted the checkpoints of earlier turns that later paths needed: GCC's
/// `xdp_tcp_opts` (real-world set) ran out of the 1M budget where the kernel processes 235,974;
/// with 64 it takes 58,437. Counting misses the kernel's way instead let checkpoints the
/// kernel would never have made pile up (`pyperf600_nounroll`: 43,401 held, 10x slower).
const MISS_ALLOWANCE: u32 = 64;

/// Most checkpoints kept per instruction: older ones are still used, newer ones not stored, so
/// a pathological program costs time but not unbounded memory. Checkpoints still being explored
/// (loop iterations in progress) count too, and each is needed later: a path that branched off
/// inside iteration k is pruned against iteration k's checkpoint once that completes, so a
/// lower cap for them makes a loop with a branch in it exponential past the cap
/// (`corpus/c/loops/loop_null_check.bpf.c`). The loop check against them is a fingerprint
/// compare, so holding many stays cheap.
pub(super) const MAX_CHECKPOINTS_PER_INSN: usize = 1024;

impl<O: Observer> Engine<'_, O> {
    /// The nearest checkpoint up the path at `pc` in the same loop activation: the loop's
    /// previous turn.
    pub(super) fn prev_turn(
        &self,
        pc: InsnIdx,
        mut at: Option<CpId>,
        activation: u32,
    ) -> Option<CpId> {
        while let Some(id) = at {
            let c = &self.cps[id as usize];
            if c.pc == pc && c.activation == activation {
                return Some(id);
            }
            at = c.parent;
        }
        None
    }

    /// Looks for a checkpoint at `pc` covering the path's state (or the loop check's verdict),
    /// else makes one. `probe`: the path's state and, when it differs from it in what pruning
    /// compares, its copy without singular ids (`without_singular_ids`), which is then what is
    /// compared and kept.
    pub(super) fn visit(
        &mut self,
        pc: InsnIdx,
        probe: (&AbstractState, Option<AbstractState>),
        cp: Option<CpId>,
        head: LoopHead,
        activation: u32,
    ) -> Visit {
        let (path_state, unlinked) = probe;
        let state = unlinked.as_ref().unwrap_or(path_state);
        let LoopHead {
            iter_next,
            may_goto,
            calls_back,
        } = head;
        // At an iterator's `next`, a checkpoint still being explored prunes too, when the
        // iterator is active (see the module doc); so it does at a call that runs a callback
        // again (`loops.rs`).
        let iter_active = (iter_next && self.iter_arg_active(state)) || calls_back;
        let live = self.live.get(pc.idx()).copied().unwrap_or(u16::MAX);
        let prune_rules = (
            self.vm.opts.privileged,
            crate::verifier::subsume::id_rules(self.vm.opts.kernel),
        );
        let mut cur_fp: Option<u64> = None;
        let mut cur_shape: Option<Shape> = None;
        // This loop's earlier turns up this path, in a widening exploration.
        let mut own_turns = Vec::new();
        if activation != 0 {
            let mut at = cp;
            while let Some(id) = at {
                let c = &self.cps[id as usize];
                if c.pc == pc && c.activation == activation {
                    own_turns.push(id);
                }
                at = c.parent;
            }
        }
        let first_turn = if loops::exact_loop_check(self.vm.opts.kernel) {
            None
        } else {
            self.first_turn_at(pc, cp)
        };
        let exact_loop_check = loops::exact_loop_check(self.vm.opts.kernel);
        // Whether an open checkpoint here meets only the exact loop check (the last branch
        // of the scan).
        let open_loop_check = !iter_next
            && !calls_back
            && exact_loop_check
            && !iter_active
            && !may_goto
            && activation == 0;
        // Taken out for the scan and put back after it (`scan`).
        let mut list = std::mem::take(&mut self.explored[pc.idx()]);
        let mut i = 0;
        let found = 'scan: loop {
            let Some(e) = list.get_mut(i) else {
                break 'scan None;
            };
            let id = e.id;
            // What the entry decides alone, as the full test below would (the record, whose
            // read is a cache miss, is then not touched): the loop check against an open
            // checkpoint whose fingerprint differs; a complete checkpoint compared without
            // precision marks whose shape rules it out.
            if !e.complete && open_loop_check {
                if let Some(old_fp) = e.fingerprint {
                    let fp = *cur_fp.get_or_insert_with(|| fingerprint(state));
                    if old_fp != fp {
                        i += 1;
                        continue;
                    }
                }
            } else if e.complete && !self.precise_pruning {
                let cur_shape = *cur_shape.get_or_insert_with(|| Shape::of(state));
                if shapes_rule_out(&e.shape, &cur_shape, live, None) {
                    e.misses += 1;
                    if e.misses > MISS_FACTOR * e.hits + MISS_ALLOWANCE {
                        self.cps[id as usize].state = None;
                        self.held -= 1;
                        list.swap_remove(i);
                        continue;
                    }
                    i += 1;
                    continue;
                }
            }
            let c = &mut self.cps[id as usize];
            let Some(old) = &c.state else {
                list.swap_remove(i);
                continue;
            };
            if c.live == 0 || iter_active {
                // Only a complete checkpoint's precision is final (see `precision.rs`).
                let precise =
                    (self.precise_pruning && c.live == 0 && !c.prec.all).then_some(&c.prec);
                let cur_shape = *cur_shape.get_or_insert_with(|| Shape::of(state));
                if !shapes_rule_out(&e.shape, &cur_shape, live, precise)
                    && covers(old, state, live, prune_rules, precise)
                {
                    e.hits += 1;
                    break 'scan Some(Visit::Prune(id));
                }
                e.misses += 1;
                if c.live == 0 && e.misses > MISS_FACTOR * e.hits + MISS_ALLOWANCE {
                    c.state = None;
                    self.held -= 1;
                    list.swap_remove(i);
                    continue;
                }
            } else if loops::may_goto_iteration_covered(may_goto, old, state, |o, n| {
                covers(o, n, live, prune_rules, None)
            }) {
                e.hits += 1;
                break 'scan Some(Visit::Prune(id));
            } else if activation != 0
                && c.activation == activation
                && own_turns.contains(&id)
                && covers(old, state, live, prune_rules, None)
            {
                // The loop's own open checkpoint up this path covers this turn: an inductive
                // invariant, whose end `loop_proof.rs` proves separately.
                if let Some(r) = self.proof.as_mut() {
                    r.closed(pc);
                }
                break 'scan Some(Visit::Prune(id));
            } else if !iter_next && !calls_back && !exact_loop_check {
                // The older kernels' check (see `exact_loop_check`): the current function's
                // registers equal those of the loop's first turn at this instruction, and the
                // rest of the state is covered by it, comparing exactly only what is precise.
                let candidate = first_turn == Some(id)
                    && old.may_goto_depth == state.may_goto_depth
                    && old.frames.len() == state.frames.len()
                    && old.cur().regs == state.cur().regs;
                if candidate {
                    let old = self.cps[id as usize].state.as_ref();
                    let prec = &self.cps[id as usize].prec;
                    if old.is_some_and(|o| covers(o, state, live, prune_rules, Some(prec))) {
                        break 'scan Some(Visit::InfiniteLoop);
                    }
                }
            } else if !iter_next && !calls_back {
                let fp = *cur_fp.get_or_insert_with(|| fingerprint(state));
                let old_fp = *e.fingerprint.get_or_insert_with(|| fingerprint(old));
                let looping = old_fp == fp
                    && old.may_goto_depth == state.may_goto_depth
                    && old.frames == state.frames
                    && old.refs == state.refs
                    && old.active_lock == state.active_lock
                    && old.res_locks == state.res_locks
                    && old.rcu_lock == state.rcu_lock;
                if looping && self.is_ancestor(id, cp) {
                    break 'scan Some(Visit::InfiniteLoop);
                }
            }
            i += 1;
        };
        self.explored[pc.idx()] = list;
        if let Some(verdict) = found {
            return verdict;
        }
        if self.explored[pc.idx()].len() >= MAX_CHECKPOINTS_PER_INSN {
            return Visit::Continue;
        }
        let id = self.cps.len() as CpId;
        let fingerprint = cur_fp;
        let shape = cur_shape.unwrap_or_else(|| Shape::of(state));
        let first_turn = if loops::exact_loop_check(self.vm.opts.kernel) {
            id
        } else {
            self.first_turn_at(pc, cp).unwrap_or(id)
        };
        self.cps.push(Checkpoint {
            state: Some(unlinked.unwrap_or_else(|| path_state.clone())),
            pc,
            parent: cp,
            live: 1,
            prec: Precision::default(),
            activation,
            first_turn,
        });
        self.explored[pc.idx()].push(Entry {
            id,
            complete: false,
            hits: 0,
            misses: 0,
            shape,
            fingerprint,
        });
        self.held += 1;
        self.stats.states += 1;
        self.stats.peak_states = self.stats.peak_states.max(self.held);
        Visit::Checkpoint(id)
    }

    /// The oldest checkpoint at `pc` up the path from `cur`: the first turn of the loop
    /// through `pc`. Kernels before 6.6 hold few states inside a loop (a new one only after
    /// 20 jumps and 100 instructions), so their loop check meets that first turn's state, whose
    /// scalars a branch decided on that turn made precise: a counter that moves is then never
    /// covered, one that decides nothing yet always is. Found through the nearest checkpoint at
    /// `pc` (one turn back, which knows its first turn), looked for among the nearest
    /// `FIRST_TURN_WALK` checkpoints up the path.
    fn first_turn_at(&self, pc: InsnIdx, mut cur: Option<CpId>) -> Option<CpId> {
        const FIRST_TURN_WALK: usize = 256;
        for _ in 0..FIRST_TURN_WALK {
            let c = cur?;
            let cp = &self.cps[c as usize];
            if cp.pc == pc {
                return Some(cp.first_turn);
            }
            cur = cp.parent;
        }
        None
    }

    fn is_ancestor(&self, id: CpId, mut cur: Option<CpId>) -> bool {
        while let Some(c) = cur {
            if c == id {
                return true;
            }
            cur = self.cps[c as usize].parent;
        }
        false
    }

    /// A path ended (safely, pruned, or by a violation): its checkpoints lose one live path.
    pub(super) fn end_path(&mut self, state: &AbstractState, mut cp: Option<CpId>) {
        for f in &state.frames {
            let d = &mut self.stack_depth[f.subprog as usize];
            *d = (*d).max(f.stack_depth());
        }
        while let Some(c) = cp {
            let entry = &mut self.cps[c as usize];
            entry.live -= 1;
            if entry.live > 0 {
                break;
            }
            let (pc, parent) = (entry.pc, entry.parent);
            // Once per checkpoint: a complete one gets no more paths.
            if let Some(e) = self.explored[pc.idx()].iter_mut().find(|e| e.id == c) {
                e.complete = true;
            }
            cp = parent;
        }
    }
}

/// What kind of loop head an instruction is, if any (`loops.rs`).
#[derive(Clone, Copy)]
pub(super) struct LoopHead {
    pub(super) iter_next: bool,
    pub(super) may_goto: bool,
    pub(super) calls_back: bool,
}

pub(super) enum Visit {
    /// Covered by this checkpoint.
    Prune(CpId),
    InfiniteLoop,
    Checkpoint(CpId),
    Continue,
}
