//! Programs as the runtime takes them: decoded instructions plus the table that `lddw` map
//! references index into.
//!
//! [`Program`] is anything decoded; the interpreter and the checked JIT accept it because they
//! validate every access. [`VerifiedProgram`] is what the unchecked JIT accepts: a program the
//! analyzer proved safe.

use crate::maps::MapId;
use crate::mem::CtxField;
use bpfvet_analyzer::isa::{Insn, InsnIdx};

/// A linked program: instructions, and the map table that `lddw` with `PseudoSrc::MapIdx`,
/// `MapIdxValue`, `MapFd` or `MapValue` indexes (the ELF loader gives each relocated map an
/// index; a raw fd is treated as an index too, as there are no fds offline).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Program {
    insns: Vec<Insn>,
    maps: Vec<MapId>,
}

impl Program {
    /// A program that references no maps.
    pub fn new(insns: Vec<Insn>) -> Program {
        Program {
            insns,
            maps: Vec::new(),
        }
    }

    /// A program whose map references index `maps`.
    pub fn with_maps(insns: Vec<Insn>, maps: Vec<MapId>) -> Program {
        Program { insns, maps }
    }

    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    pub fn maps(&self) -> &[MapId] {
        &self.maps
    }
}

/// A program the analyzer accepted, the only input of [`crate::jit::compile`].
///
/// Architecture rule: once `analyzer::verify` exists, this type moves to the analyzer (or is
/// built only from its `Verdict::Accept`), and the one constructor here that skips
/// verification stays, under its loud name, for conformance tests and benchmarks.
///
/// Besides the program it carries what the analyzer knows and the JIT needs: the loads that
/// read a packet-pointer field of the context (the kernel's `convert_ctx_access` rewrite).
#[derive(Clone, Debug)]
pub struct VerifiedProgram {
    prog: Program,
    ctx_loads: Vec<(InsnIdx, CtxField)>,
}

impl VerifiedProgram {
    /// Wraps a program that was NOT verified. Running it through the unchecked JIT on input
    /// it mishandles is undefined behaviour of the generated code (wild reads and writes);
    /// use it only for programs known safe (the conformance suite, benchmarks), or use the
    /// checked JIT mode, which is always safe.
    ///
    /// `ctx_loads` lists the loads from context pointer fields (`xdp_md.data` and the like),
    /// which the analyzer will compute; [`crate::ctx_loads_of`] finds them for simple programs.
    pub fn assume_verified_unchecked(
        prog: Program,
        ctx_loads: Vec<(InsnIdx, CtxField)>,
    ) -> VerifiedProgram {
        VerifiedProgram { prog, ctx_loads }
    }

    pub fn program(&self) -> &Program {
        &self.prog
    }

    pub fn ctx_loads(&self) -> &[(InsnIdx, CtxField)] {
        &self.ctx_loads
    }
}

/// Finds the loads that read a context pointer field, for [`VerifiedProgram`]s built without
/// the analyzer: a must-analysis of which registers surely hold the context pointer (`r1` at
/// entry, copied by `mov`; anything else forgets it), iterated to a fixpoint over the slots.
/// A load through such a register at a field offset is reported. This is enough for
/// compiler-generated code that keeps the context in a register; a program that spills it to
/// the stack needs the analyzer's answer instead.
pub fn ctx_loads_of(insns: &[Insn], fields: &[(u32, CtxField)]) -> Vec<(InsnIdx, CtxField)> {
    use bpfvet_analyzer::isa::{AluOp, Operand, Width};
    let n = insns.len();
    // Bit i set: register i holds the context on every path. `None`: not reached yet.
    let mut state: Vec<Option<u16>> = vec![None; n + 1];
    if n == 0 {
        return Vec::new();
    }
    state[0] = Some(1 << 1);
    let mut changed = true;
    while changed {
        changed = false;
        for i in 0..n {
            let Some(inn) = state[i] else { continue };
            let insn = insns[i];
            let mut out = inn;
            match insn {
                Insn::Alu {
                    width: Width::W64,
                    op: AluOp::Mov,
                    dst,
                    src: Operand::Reg(s),
                } => {
                    out &= !(1 << dst.num());
                    if inn & (1 << s.num()) != 0 {
                        out |= 1 << dst.num();
                    }
                }
                Insn::Call(_) | Insn::Callx { .. } => out &= !0b11_1111,
                _ => {
                    if let Some(d) = written_reg(&insn) {
                        out &= !(1 << d);
                    }
                }
            }
            let mut succ = Vec::with_capacity(2);
            if insn.falls_through() {
                succ.push(i + insn.slots());
            }
            if let Some(off) = insn.jump_offset() {
                if let Some(t) = InsnIdx(i as u32).jump(off) {
                    succ.push(t.idx());
                }
            }
            if matches!(insn, Insn::Exit) {
                succ.clear();
            }
            for t in succ {
                if t > n {
                    continue;
                }
                let new = match state[t] {
                    None => Some(out),
                    Some(old) => Some(old & out),
                };
                if new != state[t] {
                    state[t] = new;
                    changed = true;
                }
            }
        }
    }
    let mut res = Vec::new();
    for (i, insn) in insns.iter().enumerate() {
        if let (Insn::Load { src, off, .. }, Some(st)) = (insn, state[i]) {
            if st & (1 << src.num()) != 0 {
                if let Some(&(_, f)) = fields
                    .iter()
                    .find(|(fo, _)| i64::from(*fo) == i64::from(*off))
                {
                    res.push((InsnIdx(i as u32), f));
                }
            }
        }
    }
    res
}

/// The register an instruction writes, if any (calls handled by the caller).
fn written_reg(insn: &Insn) -> Option<u8> {
    use bpfvet_analyzer::isa::AtomicOp;
    match *insn {
        Insn::Alu { dst, .. }
        | Insn::MovSx { dst, .. }
        | Insn::Neg { dst, .. }
        | Insn::Endian { dst, .. }
        | Insn::AddrSpaceCast { dst, .. }
        | Insn::Load { dst, .. }
        | Insn::LdImm64 { dst, .. } => Some(dst.num()),
        Insn::Atomic {
            op: AtomicOp::CmpXchg,
            ..
        }
        | Insn::LdAbs { .. }
        | Insn::LdInd { .. } => Some(0),
        Insn::Atomic {
            op: AtomicOp::LoadAcquire,
            dst,
            ..
        } => Some(dst.num()),
        Insn::Atomic { op, src, .. } if op.fetches() => Some(src.num()),
        _ => None,
    }
}
