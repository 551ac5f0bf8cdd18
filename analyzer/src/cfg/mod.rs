//! The control-flow graph of a linked program: basic blocks, subprograms, and the structural
//! checks the kernel makes before it interprets anything (its `check_subprogs` and `check_cfg`).
//!
//! `petgraph` is an implementation detail of this module: the API speaks in [`BlockId`] and
//! [`InsnIdx`], never in `NodeIndex`.
//!
//! Invariants after [`build`] returns a `Cfg` with no fatal violation: every jump target is an
//! instruction of the same subprogram and never the second slot of a `lddw`; every subprogram
//! ends in `exit` or an unconditional jump; every pseudo call targets a subprogram entry.

mod build;
mod graph;

pub use build::{build, build_with};
pub use graph::{BasicBlock, BlockId, Cfg, EdgeKind, Subprog};

use crate::isa::InsnIdx;

/// A structural defect, named as the kernel names it.
#[derive(Clone, PartialEq, Eq, Debug)]
pub enum StructuralViolation {
    /// A jump lands outside the program or outside its own subprogram.
    JumpOutOfRange { from: InsnIdx, to: i64 },
    /// A jump lands on the second slot of a `lddw`.
    JumpIntoLdImm64 { from: InsnIdx, to: InsnIdx },
    /// A pseudo call or a callback reference whose target is outside the program.
    CallOutOfRange { from: InsnIdx, to: i64 },
    /// A subprogram's last instruction can fall through into the next subprogram or off the end.
    FallsOffEnd { last: InsnIdx },
    /// No path from the entry reaches this instruction.
    Unreachable { insn: InsnIdx },
    /// A back-edge, which loop-less profiles reject. `fall_through` when the edge is the plain
    /// fall-through of an instruction that is not a jump (a loop entered in its middle, whose
    /// body runs into the head): kernels before 6.12 refused those even with bounded loops.
    BackEdge {
        from: InsnIdx,
        to: InsnIdx,
        fall_through: bool,
    },
    /// The program is empty.
    Empty,
}

impl StructuralViolation {
    /// Whether the graph is too broken for the abstract interpreter to run at all.
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            StructuralViolation::Unreachable { .. } | StructuralViolation::BackEdge { .. }
        )
    }

    /// The instruction the violation is reported at.
    pub fn insn(&self) -> InsnIdx {
        match *self {
            StructuralViolation::JumpOutOfRange { from, .. }
            | StructuralViolation::JumpIntoLdImm64 { from, .. }
            | StructuralViolation::CallOutOfRange { from, .. }
            | StructuralViolation::BackEdge { from, .. } => from,
            StructuralViolation::FallsOffEnd { last } => last,
            StructuralViolation::Unreachable { insn } => insn,
            StructuralViolation::Empty => InsnIdx(0),
        }
    }

    /// The kernel's log line for the same defect.
    pub fn kernel_message(&self) -> String {
        match *self {
            StructuralViolation::JumpOutOfRange { from, to } => {
                format!("jump out of range from insn {from} to {to}")
            }
            StructuralViolation::JumpIntoLdImm64 { to, .. } => {
                format!("jump into the middle of ldimm64 insn {}", to.0 - 1)
            }
            StructuralViolation::CallOutOfRange { .. } => "call to invalid destination".to_string(),
            StructuralViolation::FallsOffEnd { .. } => {
                "last insn is not an exit or jmp".to_string()
            }
            StructuralViolation::Unreachable { insn } => format!("unreachable insn {insn}"),
            StructuralViolation::BackEdge { from, to, .. } => {
                format!("back-edge from insn {from} to {to}")
            }
            StructuralViolation::Empty => {
                "(no log: bpf(BPF_PROG_LOAD) fails with E2BIG for zero instructions)".to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests;
