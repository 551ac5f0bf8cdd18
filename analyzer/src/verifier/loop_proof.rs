//! bpfvet's own verdict on a program the kernel gives up on: when exploration runs out of the
//! 1M-instruction budget, a second exploration widens each loop's state after its first turn
//! and lets a loop head's state be covered by the same loop's earlier, still open checkpoint
//! (an inductive invariant). If that exploration finds nothing unsafe, every loop it closed
//! this way must also be shown to end: a *counter*, a register that the loop body changes
//! only by constant steps of one sign, which every turn steps at least once, and whose values
//! at the loop head stay in a range it cannot wrap around in. Then the program is safe, each
//! such loop turning at most `(hi - lo) / step + 1` times; the kernel still refuses it.
//!
//! Why each condition is needed:
//! - the loop's body must be a natural loop (entered only through its head), so that every
//!   cycle that stays inside it passes the head, and leaving it ends the loop's *activation*;
//!   a checkpoint covers another only within one activation (`Activations`), so an inner
//!   loop's counter, reset by each turn of an outer loop, is never compared across them;
//! - every other write to the counter in the body would break monotony, a call clobbers
//!   r0-r5, a step inside an inner cycle that avoids the head could run unboundedly often;
//! - the range is the hull of the counter over every state that reached the head in the
//!   second exploration, which contains every concrete value there (the exploration covers
//!   every execution); together with the largest total step of one turn it excludes
//!   wrapping, so the counter moves strictly in one direction inside a bounded range.

use super::engine::Exploration;
use super::liveness::uses_defs;
use super::state::{AbstractState, RegState};
use super::violation::Code;
use crate::isa::{AluOp, Insn, InsnIdx, Operand, Reg, Width};

/// One loop bpfvet proved to end, with the bound it found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoopBound {
    /// The loop's head (the target of its back edges).
    pub head: InsnIdx,
    /// The register that counts the turns.
    pub counter: Reg,
    /// Its range at the head over every turn (as an unsigned number).
    pub lo: u64,
    pub hi: u64,
    /// Its smallest step per turn, and whether it counts up.
    pub step: u64,
    pub increasing: bool,
    /// Most times the head is reached in one entry to the loop (saturated at `u64::MAX`).
    pub max_turns: u64,
}

/// bpfvet's verdict where the kernel's is `program-too-complex`: safe, with the loops that
/// were closed by widening and their bounds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OwnVerdict {
    pub loops: Vec<LoopBound>,
    /// Instructions the widening exploration processed.
    pub processed: u64,
}

/// After `first` ran out of the instruction budget (and found nothing else): runs `widen`, the
/// widening exploration, and returns bpfvet's own verdict, with that exploration's stack
/// depths for the whole-program limits, when it proves the program safe.
pub(super) fn after_budget(
    first: &Exploration,
    widen: impl FnOnce() -> Exploration,
) -> Option<(OwnVerdict, Vec<u32>)> {
    let only_budget = !first.violations.is_empty()
        && first
            .violations
            .iter()
            .all(|v| v.code == Code::ProgramTooComplex);
    if !only_budget {
        return None;
    }
    let second = widen();
    if !second.violations.is_empty() {
        return None;
    }
    let loops = second.record.as_ref()?.bounds()?;
    let verdict = OwnVerdict {
        loops,
        processed: second.stats.processed,
    };
    Some((verdict, second.stack_depth))
}

/// A register that only steps by constants in one loop.
#[derive(Clone, Debug)]
struct Counter {
    reg: Reg,
    wide: bool,
    increasing: bool,
    /// Smallest and summed absolute step (each step instruction runs at most once a turn).
    min_step: u64,
    total_step: u64,
    /// The step instructions, with their absolute steps.
    sites: Vec<(usize, u64)>,
}

/// A natural loop of the program.
#[derive(Debug)]
struct Loop {
    head: usize,
    /// Membership of each instruction, one bit each.
    body: Vec<u64>,
    counters: Vec<Counter>,
}

impl Loop {
    fn contains(&self, at: usize) -> bool {
        self.body
            .get(at / 64)
            .is_some_and(|w| w & (1u64 << (at % 64)) != 0)
    }
}

/// The loops of a program, found before the widening exploration.
#[derive(Debug, Default)]
pub(super) struct Loops {
    loops: Vec<Loop>,
    /// For each instruction: the index of the loop it heads.
    head_of: Vec<Option<u32>>,
}

fn successors(insns: &[Insn], at: usize) -> impl Iterator<Item = usize> {
    let insn = &insns[at];
    let n = insns.len();
    let next = (insn.falls_through() && !matches!(insn, Insn::Exit)).then_some(at + insn.slots());
    let jump = insn
        .jump_offset()
        .and_then(|off| InsnIdx(at as u32).jump(off))
        .map(|t| t.idx());
    [next, jump].into_iter().flatten().filter(move |&s| s < n)
}

/// The back edges of a depth-first walk, grouped by head: (head, sources). Each function is
/// walked from its lowest instruction, its entry (calls are not followed).
fn back_edges(insns: &[Insn]) -> Vec<(usize, Vec<usize>)> {
    const NEW: u8 = 0;
    const OPEN: u8 = 1;
    const DONE: u8 = 2;
    let n = insns.len();
    let mut color = vec![NEW; n];
    let mut edges: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if color[root] != NEW {
            continue;
        }
        color[root] = OPEN;
        let mut stack: Vec<(usize, Vec<usize>)> = vec![(root, successors(insns, root).collect())];
        while let Some((at, next)) = stack.last_mut() {
            let at = *at;
            match next.pop() {
                Some(s) if color[s] == NEW => {
                    color[s] = OPEN;
                    stack.push((s, successors(insns, s).collect()));
                }
                Some(s) if color[s] == OPEN => edges.push((s, at)),
                Some(_) => {}
                None => {
                    color[at] = DONE;
                    stack.pop();
                }
            }
        }
    }
    edges.sort_unstable();
    let mut res: Vec<(usize, Vec<usize>)> = Vec::new();
    for (h, s) in edges {
        match res.last_mut() {
            Some((last, sources)) if *last == h => sources.push(s),
            _ => res.push((h, vec![s])),
        }
    }
    res
}

/// Whether `to` is reachable from the successors of `from` through instructions `allowed`.
fn reaches(insns: &[Insn], from: usize, to: usize, allowed: &dyn Fn(usize) -> bool) -> bool {
    let mut seen = vec![false; insns.len()];
    let mut work: Vec<usize> = successors(insns, from).collect();
    while let Some(at) = work.pop() {
        if at == to {
            return true;
        }
        if seen[at] || !allowed(at) {
            continue;
        }
        seen[at] = true;
        work.extend(successors(insns, at));
    }
    false
}

impl Loops {
    /// The natural loops of the program (each function's, found from its first instruction);
    /// a loop entered other than through its head is left out (nothing is proved of it).
    pub(super) fn find(insns: &[Insn]) -> Loops {
        let n = insns.len();
        let mut preds: Vec<Vec<usize>> = vec![Vec::new(); n];
        for at in 0..n {
            for s in successors(insns, at) {
                preds[s].push(at);
            }
        }
        let mut res = Loops {
            loops: Vec::new(),
            head_of: vec![None; n],
        };
        for (h, sources) in back_edges(insns) {
            // The natural loop: what reaches a back edge's source without passing the head.
            let mut seen = vec![false; n];
            seen[h] = true;
            let mut work = sources;
            while let Some(at) = work.pop() {
                if !seen[at] {
                    seen[at] = true;
                    work.extend(preds[at].iter().copied());
                }
            }
            let mut body = vec![0u64; n.div_ceil(64)];
            let members: Vec<usize> = (0..n).filter(|&i| seen[i]).collect();
            for &i in &members {
                body[i / 64] |= 1 << (i % 64);
            }
            let mut lp = Loop {
                head: h,
                body,
                counters: Vec::new(),
            };
            let entered_elsewhere = members
                .iter()
                .any(|&i| i != h && preds[i].iter().any(|&p| !lp.contains(p)));
            if entered_elsewhere {
                continue;
            }
            lp.counters = (0..10u8)
                .filter_map(|r| counter(insns, &lp, &members, Reg::new(r)?))
                .collect();
            res.head_of[h] = Some(res.loops.len() as u32);
            res.loops.push(lp);
        }
        res
    }

    fn at(&self, pc: InsnIdx) -> Option<(u32, &Loop)> {
        let i = (*self.head_of.get(pc.idx())?)?;
        Some((i, &self.loops[i as usize]))
    }
}

/// `reg` as a counter of `lp`, if it is one (see the module doc).
fn counter(insns: &[Insn], lp: &Loop, members: &[usize], reg: Reg) -> Option<Counter> {
    let bit = 1u16 << reg.num();
    let mut sites = Vec::new();
    let mut wide = None;
    let mut up = None;
    for &at in members {
        let insn = &insns[at];
        let (_, defs) = uses_defs(insn);
        if defs & bit == 0 {
            continue;
        }
        let Insn::Alu {
            width,
            op: op @ (AluOp::Add | AluOp::Sub),
            dst,
            src: Operand::Imm(k),
        } = *insn
        else {
            return None;
        };
        if dst != reg || k == 0 {
            return None;
        }
        let step = i64::from(k) * if op == AluOp::Sub { -1 } else { 1 };
        let w = width == Width::W64;
        if *wide.get_or_insert(w) != w || *up.get_or_insert(step > 0) != (step > 0) {
            return None;
        }
        sites.push((at, step.unsigned_abs()));
    }
    let (wide, increasing) = (wide?, up?);
    let is_site = |at: usize| sites.iter().any(|&(s, _)| s == at);
    // Every turn steps: the head is not reachable again around the steps.
    if !is_site(lp.head)
        && reaches(insns, lp.head, lp.head, &|at| {
            lp.contains(at) && !is_site(at)
        })
    {
        return None;
    }
    // No step can run twice in one turn: none lies on a cycle that avoids the head.
    if sites
        .iter()
        .any(|&(s, _)| s != lp.head && reaches(insns, s, s, &|at| lp.contains(at) && at != lp.head))
    {
        return None;
    }
    Some(Counter {
        reg,
        wide,
        increasing,
        min_step: sites.iter().map(|s| s.1).min()?,
        total_step: sites.iter().map(|s| s.1).sum(),
        sites,
    })
}

/// An unsigned range seen so far, or `None` once a value was not a number.
#[derive(Clone, Copy, Debug)]
struct Hull(Option<(u64, u64)>);

impl Hull {
    const EMPTY: Hull = Hull(Some((u64::MAX, 0)));

    fn add(&mut self, r: &RegState) {
        self.0 = match (self.0, r.as_scalar()) {
            (Some((lo, hi)), Some(v)) => Some((lo.min(v.umin()), hi.max(v.umax()))),
            _ => None,
        };
    }
}

/// What the widening exploration saw of each loop.
#[derive(Debug)]
pub(super) struct Record {
    loops: Loops,
    /// Per loop: whether a turn was closed by its own open checkpoint, and each counter's
    /// hull at the head.
    closed: Vec<bool>,
    at_head: Vec<Vec<Hull>>,
    /// Per loop and counter: the hull before each step instruction, in `Counter::sites` order.
    at_sites: Vec<Vec<Vec<Hull>>>,
    /// Step instructions: (loop, counter, site).
    site_of: Vec<(usize, usize, usize, usize)>,
    next_activation: u32,
}

impl Record {
    pub(super) fn new(loops: Loops) -> Self {
        let mut site_of = Vec::new();
        for (l, lp) in loops.loops.iter().enumerate() {
            for (c, ctr) in lp.counters.iter().enumerate() {
                for (s, &(at, _)) in ctr.sites.iter().enumerate() {
                    site_of.push((at, l, c, s));
                }
            }
        }
        site_of.sort_unstable();
        Record {
            closed: vec![false; loops.loops.len()],
            at_head: loops
                .loops
                .iter()
                .map(|l| vec![Hull::EMPTY; l.counters.len()])
                .collect(),
            at_sites: loops
                .loops
                .iter()
                .map(|l| {
                    l.counters
                        .iter()
                        .map(|c| vec![Hull::EMPTY; c.sites.len()])
                        .collect()
                })
                .collect(),
            site_of,
            next_activation: 1,
            loops,
        }
    }

    /// Before the instruction at `pc` runs in `state` on a path whose loop activations are
    /// `acts`: updates them, notes the counters, and returns the activation of the loop headed
    /// at `pc` (0 when `pc` heads none).
    pub(super) fn step(
        &mut self,
        pc: InsnIdx,
        state: &AbstractState,
        acts: &mut Activations,
    ) -> u32 {
        let depth = state.frame_no() as u8;
        let at = pc.idx();
        while let Some(&(h, d, _)) = acts.0.last() {
            let left = d > depth || d == depth && !self.loops.loops[h as usize].contains(at);
            if !left {
                break;
            }
            acts.0.pop();
        }
        let first = self.site_of.partition_point(|s| s.0 < at);
        for &(_, l, c, s) in self.site_of[first..].iter().take_while(|s| s.0 == at) {
            let reg = self.loops.loops[l].counters[c].reg;
            self.at_sites[l][c][s].add(state.reg(reg));
        }
        let Some((l, lp)) = self.loops.at(pc) else {
            return 0;
        };
        for (c, ctr) in lp.counters.iter().enumerate() {
            self.at_head[l as usize][c].add(state.reg(ctr.reg));
        }
        match acts.0.last() {
            Some(&(h, d, act)) if h == l && d == depth => act,
            _ => {
                let act = self.next_activation;
                self.next_activation += 1;
                acts.0.push((l, depth, act));
                act
            }
        }
    }

    /// A state at `pc` was covered by its own loop's open checkpoint.
    pub(super) fn closed(&mut self, pc: InsnIdx) {
        if let Some((l, _)) = self.loops.at(pc) {
            self.closed[l as usize] = true;
        }
    }

    /// The bound of every loop closed by its own checkpoint, or `None` when one has no
    /// counter that proves it ends.
    pub(super) fn bounds(&self) -> Option<Vec<LoopBound>> {
        let mut res = Vec::new();
        for (l, lp) in self.loops.loops.iter().enumerate() {
            if !self.closed[l] {
                continue;
            }
            let found = lp.counters.iter().enumerate().find_map(|(c, ctr)| {
                let (lo, hi) = self.at_head[l][c].0?;
                let sites = self.at_sites[l][c]
                    .iter()
                    .map(|h| h.0)
                    .collect::<Option<Vec<_>>>()?;
                bound(lp.head, ctr, lo, hi, &sites)
            });
            res.push(found?);
        }
        Some(res)
    }
}

/// The loop activations a path is inside, innermost last: (loop, frame depth, activation).
#[derive(Clone, Debug, Default)]
pub(super) struct Activations(Vec<(u32, u8, u32)>);

/// The bound `ctr` gives, from its hull at the head and before each step, when it cannot
/// wrap around.
fn bound(head: usize, ctr: &Counter, lo: u64, hi: u64, sites: &[(u64, u64)]) -> Option<LoopBound> {
    let top = if ctr.wide {
        u64::MAX
    } else {
        u64::from(u32::MAX)
    };
    if lo > hi || hi > top {
        return None;
    }
    // No wrap: either from the head's range and a whole turn's steps, or at each step.
    let no_wrap = if ctr.increasing {
        hi.checked_add(ctr.total_step).is_some_and(|v| v <= top)
            || ctr
                .sites
                .iter()
                .zip(sites)
                .all(|(&(_, k), &(_, shi))| shi.checked_add(k).is_some_and(|v| v <= top))
    } else {
        lo >= ctr.total_step
            || ctr
                .sites
                .iter()
                .zip(sites)
                .all(|(&(_, k), &(slo, shi))| shi <= top && slo >= k)
    };
    if !no_wrap {
        return None;
    }
    Some(LoopBound {
        head: InsnIdx(head as u32),
        counter: ctr.reg,
        lo,
        hi,
        step: ctr.min_step,
        increasing: ctr.increasing,
        max_turns: ((hi - lo) / ctr.min_step).saturating_add(1),
    })
}

#[cfg(test)]
mod tests;
