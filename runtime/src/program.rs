//! Programs as the runtime takes them: decoded instructions plus the table that `lddw` map
//! references index into.
//!
//! [`Program`] is anything decoded; the interpreter and the checked JIT accept it because they
//! validate every access. The unchecked JIT accepts only the analyzer's
//! [`bpfvet_analyzer::verifier::VerifiedProgram`], which nothing outside the analyzer can build.

use crate::maps::MapId;
use bpfvet_analyzer::isa::{Insn, InsnIdx};

/// A linked program: instructions, and the map table that `lddw` with `PseudoSrc::MapIdx`,
/// `MapIdxValue`, `MapFd` or `MapValue` indexes (the ELF loader gives each relocated map an
/// index; a raw fd is treated as an index too, as there are no fds offline).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Program {
    insns: Vec<Insn>,
    maps: Vec<MapId>,
    /// Loads with the kernel's `BPF_PROBE_MEM` semantics (sorted): outside every region they
    /// read 0 instead of faulting. The verifier finds them (loads through BTF-typed kernel
    /// pointers, `VerifiedProgram::probe_loads`); a bare program has none.
    probe_loads: Vec<InsnIdx>,
    /// The extern names of the kfunc calls, by instruction (sorted): offline a kfunc call
    /// instruction does not say which kernel function it calls, the loader's relocation does
    /// (`crate::kfuncs::names`). A bare program has none, so its kfunc calls are unsupported.
    kfuncs: Vec<(InsnIdx, String)>,
}

impl Program {
    /// A program that references no maps.
    pub fn new(insns: Vec<Insn>) -> Program {
        Program {
            insns,
            maps: Vec::new(),
            probe_loads: Vec::new(),
            kfuncs: Vec::new(),
        }
    }

    /// A program whose map references index `maps`.
    pub fn with_maps(insns: Vec<Insn>, maps: Vec<MapId>) -> Program {
        Program {
            insns,
            maps,
            probe_loads: Vec::new(),
            kfuncs: Vec::new(),
        }
    }

    /// This program with `probe_loads` as its probe loads (see the field).
    #[must_use]
    pub fn with_probe_loads(mut self, mut probe_loads: Vec<InsnIdx>) -> Program {
        probe_loads.sort_unstable();
        probe_loads.dedup();
        self.probe_loads = probe_loads;
        self
    }

    /// This program with `kfuncs` as the names of its kfunc calls (see the field).
    #[must_use]
    pub fn with_kfuncs(mut self, mut kfuncs: Vec<(InsnIdx, String)>) -> Program {
        kfuncs.sort_unstable();
        kfuncs.dedup_by_key(|(insn, _)| *insn);
        self.kfuncs = kfuncs;
        self
    }

    /// The extern name of the kfunc the call at `insn` goes to, if known.
    pub fn kfunc_at(&self, insn: InsnIdx) -> Option<&str> {
        self.kfuncs
            .binary_search_by_key(&insn, |(i, _)| *i)
            .ok()
            .map(|i| self.kfuncs[i].1.as_str())
    }

    pub fn kfuncs(&self) -> &[(InsnIdx, String)] {
        &self.kfuncs
    }

    /// Whether the load at `insn` has probe semantics.
    pub fn is_probe_load(&self, insn: InsnIdx) -> bool {
        self.probe_loads.binary_search(&insn).is_ok()
    }

    pub fn probe_loads(&self) -> &[InsnIdx] {
        &self.probe_loads
    }

    pub fn insns(&self) -> &[Insn] {
        &self.insns
    }

    pub fn maps(&self) -> &[MapId] {
        &self.maps
    }
}
