//! Typed run-time faults: what went wrong, and at which instruction.
//!
//! A fault stops the run. Engines report the same `Fault` for the same program and input, so a
//! differential run can compare them; the interpreter is the reference.

use crate::mem::{Access, RegionKind};
use bpfvet_analyzer::isa::InsnIdx;
use std::fmt;

/// A run-time fault at one instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    /// The instruction that faulted (for a helper, its `call`).
    pub insn: InsnIdx,
    pub kind: FaultKind,
}

/// What went wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// An access touches bytes outside every region. `near` names the closest region below the
    /// address and the access's offset from its start, to help read the report.
    OutOfBounds {
        addr: u64,
        size: u32,
        access: Access,
        near: Option<(RegionKind, i64)>,
    },
    /// A write to a read-only region (global `.rodata`, a frozen map, a context field).
    ReadOnly {
        addr: u64,
        size: u32,
        region: RegionKind,
    },
    /// A context access the program type does not allow (a store to a packet-pointer field,
    /// or a partial read of one).
    BadCtxAccess { off: u32, size: u32 },
    /// A helper the runtime does not implement. Never a silent zero.
    UnsupportedHelper { id: i32, name: Option<&'static str> },
    /// A helper rejected its arguments in a way the kernel would not survive (for example a
    /// buffer argument pointing outside every region).
    HelperFault {
        id: i32,
        name: &'static str,
        reason: String,
    },
    /// An instruction this runtime does not execute (kfunc call, `addr_space_cast`, ...).
    UnsupportedInsn { what: &'static str },
    /// A call to a kernel function the runtime does not implement, by its extern name.
    UnsupportedKfunc { name: String },
    /// A kfunc was given an object the run released (its last reference dropped). `number`
    /// counts the run's objects of that kind in creation order, from 0.
    ReleasedObject {
        kfunc: &'static str,
        object: &'static str,
        number: u32,
    },
    /// A kfunc was given a pointer that is no object the runtime made: a kernel-owned object
    /// (a task's `cpus_ptr`, ...) that an offline run does not have. Refused by name.
    ForeignObject {
        kfunc: &'static str,
        object: &'static str,
    },
    /// An object the run acquired was still referenced when the run ended (the fault's
    /// instruction is the call that made it).
    LeakedObject { object: &'static str, number: u32 },
    /// A `lddw` names a map index or a map fd not in the program's map table.
    BadMapRef { imm: i32 },
    /// A `callx` target that is neither a subprogram nor a helper id.
    BadCallTarget { target: u64 },
    /// Local calls nested deeper than the frame limit.
    CallDepth { limit: u32 },
    /// The run executed more instructions than its budget.
    InsnLimit { limit: u64 },
    /// Control reached a slot outside the program or the second half of a `lddw`.
    BadJump { target: i64 },
    /// The run's input does not fit what the compiled program was verified for (a context
    /// smaller than the program type's, for the unchecked JIT). Nothing ran.
    BadInput { reason: String },
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "insn {}: ", self.insn)?;
        match &self.kind {
            FaultKind::OutOfBounds {
                addr,
                size,
                access,
                near,
            } => {
                write!(
                    f,
                    "{access} of {size} bytes at {addr:#x} is outside every region"
                )?;
                if let Some((kind, off)) = near {
                    write!(f, " (offset {off} from {kind})")?;
                }
                Ok(())
            }
            FaultKind::ReadOnly { addr, size, region } => {
                write!(
                    f,
                    "write of {size} bytes at {addr:#x} to read-only {region}"
                )
            }
            FaultKind::BadCtxAccess { off, size } => {
                write!(f, "invalid context access of {size} bytes at offset {off}")
            }
            FaultKind::UnsupportedHelper { id, name: Some(n) } => {
                write!(f, "unsupported helper bpf_{n} (id {id})")
            }
            FaultKind::UnsupportedHelper { id, name: None } => {
                write!(f, "unknown helper id {id}")
            }
            FaultKind::HelperFault { id, name, reason } => {
                write!(f, "helper bpf_{name} (id {id}): {reason}")
            }
            FaultKind::UnsupportedInsn { what } => write!(f, "unsupported instruction: {what}"),
            FaultKind::UnsupportedKfunc { name } => {
                write!(f, "unsupported kfunc {name}")
            }
            FaultKind::ReleasedObject {
                kfunc,
                object,
                number,
            } => write!(f, "{kfunc} on {object} #{number}, already released"),
            FaultKind::ForeignObject { kfunc, object } => write!(
                f,
                "{kfunc} on a {object} the runtime did not make (kernel-owned objects do not run offline)"
            ),
            FaultKind::LeakedObject { object, number } => write!(
                f,
                "{object} #{number}, made here, still referenced at the end of the run"
            ),
            FaultKind::BadMapRef { imm } => write!(f, "lddw names no map ({imm})"),
            FaultKind::BadCallTarget { target } => write!(f, "callx to invalid target {target:#x}"),
            FaultKind::CallDepth { limit } => write!(f, "call depth exceeds {limit} frames"),
            FaultKind::InsnLimit { limit } => write!(f, "instruction budget of {limit} exhausted"),
            FaultKind::BadJump { target } => write!(f, "control reaches invalid slot {target}"),
            FaultKind::BadInput { reason } => write!(f, "bad input: {reason}"),
        }
    }
}

impl std::error::Error for Fault {}
