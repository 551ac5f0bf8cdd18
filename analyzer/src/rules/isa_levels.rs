//! Which kernel release first accepted each instruction form, for `--kernel` profiles.
//!
//! Facts from the kernel's history (the releases that added JMP32, atomics with fetch, the ISA
//! v4 instructions, and so on); the table and its wording are ours.

use crate::isa::{AluOp, AtomicOp, CallTarget, Cond, Insn, Width};
use crate::verifier::env::KernelVersion;

/// A feature of the instruction set with the release that introduced it.
#[derive(Clone, Copy, Debug)]
pub struct IsaFeature {
    pub name: &'static str,
    pub since: KernelVersion,
    pub doc: &'static str,
}

const fn f(name: &'static str, major: u16, minor: u16, doc: &'static str) -> IsaFeature {
    IsaFeature {
        name,
        since: KernelVersion::new(major, minor),
        doc,
    }
}

pub const JLT_FAMILY: IsaFeature = f(
    "jlt/jle/jslt/jsle",
    4,
    14,
    "unsigned and signed less-than jumps",
);
pub const BPF_CALLS: IsaFeature = f("bpf-to-bpf calls", 4, 16, "calls to other BPF functions");
pub const JMP32: IsaFeature = f("jmp32", 5, 1, "32-bit conditional jumps");
pub const ATOMICS: IsaFeature = f(
    "atomics",
    5,
    12,
    "atomic and/or/xor, fetch, xchg and cmpxchg",
);
pub const CALLBACKS: IsaFeature = f(
    "callbacks",
    5,
    13,
    "lddw of a function address (bpf_for_each_map_elem)",
);
pub const ISA_V4: IsaFeature = f(
    "ISA v4",
    6,
    6,
    "sdiv/smod, movsx, sign-extending loads, bswap, gotol",
);
/// `gotol` came with ISA v4 in 6.6, and the 6.1.y stable series took it too (6.1.72, with the
/// control-flow cleanups it needed): Debian's 6.1.192 runs the selftests' `verifier_gotol`.
pub const GOTOL: IsaFeature = f("gotol", 6, 1, "jumps with a 32-bit offset");
pub const MAY_GOTO: IsaFeature = f("may_goto", 6, 9, "bounded loops by may_goto");
pub const ARENA: IsaFeature = f("addr_space_cast", 6, 9, "BPF arena pointers");
pub const LOAD_ACQ: IsaFeature = f(
    "load-acquire/store-release",
    6,
    15,
    "ordered loads and stores",
);

/// The newest feature an instruction needs, if any.
pub fn feature_of(insn: &Insn) -> Option<IsaFeature> {
    match *insn {
        Insn::Alu {
            op: AluOp::SDiv | AluOp::SMod,
            ..
        }
        | Insn::MovSx { .. } => Some(ISA_V4),
        Insn::Load {
            sign_extend: true, ..
        } => Some(ISA_V4),
        Insn::Ja { long: true, .. } => Some(GOTOL),
        Insn::Endian {
            op: crate::isa::EndianOp::Swap,
            ..
        } => Some(ISA_V4),
        Insn::Jmp {
            width: Width::W32, ..
        } => Some(JMP32),
        Insn::Jmp {
            cond: Cond::Lt | Cond::Le | Cond::SLt | Cond::SLe,
            ..
        } => Some(JLT_FAMILY),
        Insn::Atomic {
            op: AtomicOp::LoadAcquire | AtomicOp::StoreRelease,
            ..
        } => Some(LOAD_ACQ),
        Insn::Atomic {
            op: AtomicOp::Add { fetch: false },
            ..
        } => None,
        Insn::Atomic { .. } => Some(ATOMICS),
        Insn::MayGoto { .. } => Some(MAY_GOTO),
        Insn::AddrSpaceCast { .. } => Some(ARENA),
        Insn::Call(CallTarget::Local(_)) => Some(BPF_CALLS),
        Insn::LdImm64 {
            src: crate::isa::PseudoSrc::Func,
            ..
        } => Some(CALLBACKS),
        _ => None,
    }
}
