//! Building the graph and running the structural checks, without recursion.

use super::graph::{BasicBlock, Cfg, EdgeKind, Subprog};
use super::StructuralViolation;
use crate::isa::{CallTarget, Insn, InsnIdx, PseudoSrc};
use petgraph::graph::{DiGraph, NodeIndex};

const NO_BLOCK: u32 = u32::MAX;

/// Where a pseudo call or a callback reference at `at` points, before range checks.
fn callee_target(at: usize, insn: &Insn) -> Option<i64> {
    match *insn {
        Insn::Call(CallTarget::Local(imm)) => Some(at as i64 + 1 + i64::from(imm)),
        Insn::LdImm64 {
            src: PseudoSrc::Func,
            imm,
            ..
        } => Some(at as i64 + 1 + i64::from(imm)),
        _ => None,
    }
}

fn in_range(insns: &[Insn], t: i64) -> Option<usize> {
    usize::try_from(t).ok().filter(|&t| t < insns.len())
}

/// Builds the CFG of a linked program and reports every structural violation found.
///
/// When a violation is fatal (see [`StructuralViolation::is_fatal`]) the graph is still built
/// from the edges that make sense, for display, but must not be interpreted.
pub fn build(insns: &[Insn]) -> (Cfg, Vec<StructuralViolation>) {
    build_with(insns, &[])
}

/// [`build`], with more subprogram entries than the calls name: an exception callback is
/// reached by no call, only by the BTF tag on the main program that names it.
pub fn build_with(insns: &[Insn], entries: &[InsnIdx]) -> (Cfg, Vec<StructuralViolation>) {
    let mut violations = Vec::new();
    let n = insns.len();
    if n == 0 {
        violations.push(StructuralViolation::Empty);
    }

    // Subprogram entries: the program entry and every in-range pseudo call or callback target.
    let mut starts = vec![0usize];
    starts.extend(
        entries
            .iter()
            .map(|e| e.idx())
            .filter(|&e| e < insns.len() && insns[e] != Insn::LdImm64Tail),
    );
    for (at, insn) in insns.iter().enumerate() {
        if let Some(t) = callee_target(at, insn) {
            match in_range(insns, t) {
                Some(t) if insns[t] != Insn::LdImm64Tail => starts.push(t),
                _ => violations.push(StructuralViolation::CallOutOfRange {
                    from: idx(at),
                    to: t,
                }),
            }
        }
    }
    starts.sort_unstable();
    starts.dedup();
    let subprogs: Vec<Subprog> = starts
        .iter()
        .enumerate()
        .map(|(i, &s)| Subprog {
            start: idx(s),
            end: idx(starts.get(i + 1).copied().unwrap_or(n)),
        })
        .collect();
    let subprog_of = |at: usize| starts.partition_point(|&s| s <= at).saturating_sub(1);

    // Jumps must stay inside their subprogram and never land on a `lddw` tail.
    let mut is_leader = vec![false; n + 1];
    let mut prune_points = vec![false; n];
    for &s in &starts {
        is_leader[s] = true;
    }
    let mut jump_ok = vec![true; n];
    for (at, insn) in insns.iter().enumerate() {
        let Some(off) = insn.jump_offset() else {
            continue;
        };
        let t = at as i64 + 1 + off;
        let sp = subprogs[subprog_of(at)];
        match in_range(insns, t) {
            Some(t) if t >= sp.start.idx() && t < sp.end.idx() => {
                if insns[t] == Insn::LdImm64Tail {
                    violations.push(StructuralViolation::JumpIntoLdImm64 {
                        from: idx(at),
                        to: idx(t),
                    });
                    jump_ok[at] = false;
                } else {
                    is_leader[t] = true;
                    prune_points[t] = true;
                }
            }
            _ => {
                violations.push(StructuralViolation::JumpOutOfRange {
                    from: idx(at),
                    to: t,
                });
                jump_ok[at] = false;
            }
        }
        if at + 1 < n {
            is_leader[at + 1] = true;
            if !matches!(insn, Insn::Ja { .. }) {
                prune_points[at + 1] = true;
            }
        }
    }
    for (at, insn) in insns.iter().enumerate() {
        if matches!(insn, Insn::Exit) && at + 1 < n {
            is_leader[at + 1] = true;
        }
        if matches!(insn, Insn::Call(_) | Insn::Callx { .. }) && at + 1 < n {
            prune_points[at + 1] = true;
        }
        // A call into the program and the entry it enters are prune points too, as in the
        // kernel (`visit_func_call_insn`: the call, and the callee's entry as a branch
        // target), so that a function called from one site in many states is pruned at its
        // entry instead of walked again (`test_xdp_noinline`'s `get_packet_dst`); a callback
        // reference (`ld_imm64` of a function) likewise, with the instruction after it.
        if let Some(t) = callee_target(at, insn).and_then(|t| in_range(insns, t)) {
            prune_points[at] = true;
            prune_points[t] = true;
            if matches!(insn, Insn::LdImm64 { .. }) && at + 2 < n {
                prune_points[at + 2] = true;
            }
        }
    }
    for sp in &subprogs {
        if sp.end > sp.start {
            let last = sp.end.idx() - 1;
            if !matches!(insns[last], Insn::Exit | Insn::Ja { .. }) {
                violations.push(StructuralViolation::FallsOffEnd { last: idx(last) });
            }
        }
    }

    // Blocks.
    let mut graph = DiGraph::<BasicBlock, EdgeKind, u32>::default();
    let mut block_of = vec![NO_BLOCK; n];
    let mut at = 0;
    while at < n {
        let start = at;
        let subprog = subprog_of(start);
        loop {
            let insn = &insns[at];
            block_of[at] = graph.node_count() as u32;
            let next = at + insn.slots();
            let ends = insn.jump_offset().is_some()
                || matches!(insn, Insn::Exit)
                || next >= n
                || is_leader[next];
            if ends {
                graph.add_node(BasicBlock {
                    start: idx(start),
                    last: idx(at),
                    subprog,
                });
                at = next;
                break;
            }
            at = next;
        }
    }

    // Edges.
    let node = |b: u32| NodeIndex::<u32>::new(b as usize);
    for b in 0..graph.node_count() as u32 {
        let blk = graph[node(b)];
        let last = blk.last.idx();
        let insn = insns[last];
        let next = last + insn.slots();
        let sp_end = subprogs[blk.subprog].end.idx();
        if let Some(off) = insn.jump_offset() {
            if jump_ok[last] {
                let t = (last as i64 + 1 + off) as usize;
                graph.add_edge(node(b), node(block_of[t]), EdgeKind::Taken);
            }
        }
        if insn.falls_through() && next < sp_end && !matches!(insn, Insn::Exit) {
            graph.add_edge(node(b), node(block_of[next]), EdgeKind::FallThrough);
        }
    }

    let mut cfg = Cfg {
        graph,
        block_of,
        subprogs,
        loop_heads: Vec::new(),
        prune_points,
    };
    explore(&mut cfg, insns, entries, &mut violations);
    (cfg, violations)
}

/// The kernel's `check_cfg`: a depth-first walk from the entry (then from each extra entry,
/// as the kernel walks from the exception callback), following jumps and calls, that finds
/// back-edges and instructions no path reaches.
fn explore(
    cfg: &mut Cfg,
    insns: &[Insn],
    entries: &[InsnIdx],
    violations: &mut Vec<StructuralViolation>,
) {
    #[derive(Clone, Copy, PartialEq)]
    enum Color {
        White,
        Gray,
        Black,
    }
    let n_blocks = cfg.n_blocks();
    if n_blocks == 0 {
        return;
    }
    // Successors of each block: its graph edges, then the subprograms it calls.
    let succs: Vec<Vec<(u32, bool)>> = (0..n_blocks as u32)
        .map(|b| {
            let blk = cfg.graph[NodeIndex::new(b as usize)];
            let mut res: Vec<(u32, bool)> = cfg
                .succs(super::BlockId(b))
                .map(|(s, _)| (s.0, true))
                .collect();
            res.reverse();
            for at in blk.start.idx()..=blk.last.idx() {
                if let Some(t) = callee_target(at, &insns[at]) {
                    if let Some(t) = in_range(insns, t) {
                        if cfg.block_of[t] != NO_BLOCK {
                            res.push((cfg.block_of[t], false));
                        }
                    }
                }
            }
            res
        })
        .collect();
    let mut color = vec![Color::White; n_blocks];
    let mut loop_heads = Vec::new();
    let mut roots: Vec<u32> = entries
        .iter()
        .filter_map(|e| cfg.block_of.get(e.idx()).copied())
        .filter(|&b| b != NO_BLOCK)
        .collect();
    roots.reverse();
    let mut stack: Vec<(u32, usize)> = vec![(0, 0)];
    color[0] = Color::Gray;
    loop {
        let Some(&mut (b, ref mut next)) = stack.last_mut() else {
            match roots.pop() {
                Some(r) if color[r as usize] == Color::White => {
                    color[r as usize] = Color::Gray;
                    stack.push((r, 0));
                }
                Some(_) => {}
                None => break,
            }
            continue;
        };
        if let Some(&(s, is_jump)) = succs[b as usize].get(*next) {
            *next += 1;
            match color[s as usize] {
                Color::White => {
                    color[s as usize] = Color::Gray;
                    stack.push((s, 0));
                }
                Color::Gray if is_jump => {
                    let from = cfg.graph[NodeIndex::new(b as usize)].last;
                    let to = cfg.graph[NodeIndex::new(s as usize)].start;
                    loop_heads.push(to);
                    let fall_through = !matches!(
                        insns[from.idx()],
                        Insn::Ja { .. } | Insn::Jmp { .. } | Insn::MayGoto { .. }
                    );
                    violations.push(StructuralViolation::BackEdge {
                        from,
                        to,
                        fall_through,
                    });
                }
                _ => {}
            }
        } else {
            color[b as usize] = Color::Black;
            stack.pop();
        }
    }
    // One finding per maximal run of unreachable blocks, at its first instruction.
    let mut prev_unreached = false;
    for (b, c) in color.iter().enumerate() {
        let unreached = *c == Color::White;
        if unreached && !prev_unreached {
            let insn = cfg.graph[NodeIndex::new(b)].start;
            violations.push(StructuralViolation::Unreachable { insn });
        }
        prev_unreached = unreached;
    }
    loop_heads.sort_unstable();
    loop_heads.dedup();
    for h in &loop_heads {
        if let Some(p) = cfg.prune_points.get_mut(h.idx()) {
            *p = true;
        }
    }
    cfg.loop_heads = loop_heads;
}

fn idx(at: usize) -> InsnIdx {
    InsnIdx(at as u32)
}
