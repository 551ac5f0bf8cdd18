//! The `Cfg` type: blocks in a private `petgraph` graph, looked up by instruction.

use crate::isa::InsnIdx;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::EdgeRef;
use petgraph::Direction;

/// A basic block, by position in [`Cfg::blocks`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct BlockId(pub u32);

impl BlockId {
    pub fn idx(self) -> usize {
        self.0 as usize
    }
}

/// A maximal straight-line run of instructions: control enters at `start` only and leaves after
/// `last` only. Calls do not end blocks: they return to the next instruction.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct BasicBlock {
    pub start: InsnIdx,
    /// The last instruction of the block (for a `lddw` at the end, its first slot).
    pub last: InsnIdx,
    /// Index into [`Cfg::subprogs`].
    pub subprog: usize,
}

/// How control flows along an edge.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum EdgeKind {
    /// To the next instruction.
    FallThrough,
    /// Along a taken jump.
    Taken,
}

/// A subprogram: `start..end` in slots. Subprogram 0 is the program's entry.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Subprog {
    pub start: InsnIdx,
    pub end: InsnIdx,
}

/// The control-flow graph of one program.
#[derive(Debug)]
pub struct Cfg {
    pub(super) graph: DiGraph<BasicBlock, EdgeKind, u32>,
    /// For each slot, the block containing it (`u32::MAX` for `lddw` tails).
    pub(super) block_of: Vec<u32>,
    pub(super) subprogs: Vec<Subprog>,
    /// Targets of back-edges, sorted.
    pub(super) loop_heads: Vec<InsnIdx>,
    /// Slots at which the engine should consider pruning, one flag per slot.
    pub(super) prune_points: Vec<bool>,
}

impl Cfg {
    /// All blocks, in instruction order.
    pub fn blocks(&self) -> impl Iterator<Item = (BlockId, &BasicBlock)> + '_ {
        self.graph
            .node_indices()
            .map(|n| (BlockId(n.index() as u32), &self.graph[n]))
    }

    pub fn n_blocks(&self) -> usize {
        self.graph.node_count()
    }

    pub fn block(&self, id: BlockId) -> &BasicBlock {
        &self.graph[NodeIndex::new(id.idx())]
    }

    /// The block holding `insn`, if `insn` is a real instruction of the program.
    pub fn block_of(&self, insn: InsnIdx) -> Option<BlockId> {
        match self.block_of.get(insn.idx()) {
            Some(&b) if b != u32::MAX => Some(BlockId(b)),
            _ => None,
        }
    }

    /// Successor blocks with the kind of each edge.
    pub fn succs(&self, id: BlockId) -> impl Iterator<Item = (BlockId, EdgeKind)> + '_ {
        self.graph
            .edges_directed(NodeIndex::new(id.idx()), Direction::Outgoing)
            .map(|e| (BlockId(e.target().index() as u32), *e.weight()))
    }

    /// Predecessor blocks.
    pub fn preds(&self, id: BlockId) -> impl Iterator<Item = BlockId> + '_ {
        self.graph
            .neighbors_directed(NodeIndex::new(id.idx()), Direction::Incoming)
            .map(|n| BlockId(n.index() as u32))
    }

    pub fn subprogs(&self) -> &[Subprog] {
        &self.subprogs
    }

    /// The subprogram whose entry is `start`, by index.
    pub fn subprog_at(&self, start: InsnIdx) -> Option<usize> {
        self.subprogs.iter().position(|s| s.start == start)
    }

    /// The subprogram containing `insn`.
    pub fn subprog_of(&self, insn: InsnIdx) -> Option<usize> {
        self.subprogs
            .iter()
            .position(|s| s.start <= insn && insn < s.end)
    }

    /// Instructions that are the target of a back-edge.
    pub fn loop_heads(&self) -> &[InsnIdx] {
        &self.loop_heads
    }

    pub fn is_loop_head(&self, insn: InsnIdx) -> bool {
        self.loop_heads.binary_search(&insn).is_ok()
    }

    /// Whether the engine should look for an equivalent explored state at `insn`: jump targets,
    /// instructions after a conditional jump, and instructions after calls (the kernel's choice).
    pub fn is_prune_point(&self, insn: InsnIdx) -> bool {
        self.prune_points.get(insn.idx()).copied().unwrap_or(false)
    }
}
