//! Programs as the runtime takes them: decoded instructions plus the table that `lddw` map
//! references index into.
//!
//! [`Program`] is anything decoded; the interpreter and the checked JIT accept it because they
//! validate every access. The unchecked JIT accepts only the analyzer's
//! [`bpfvet_analyzer::verifier::VerifiedProgram`], which nothing outside the analyzer can build.

use crate::maps::MapId;
use bpfvet_analyzer::isa::Insn;

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
