//! The concrete-in-abstract check: an interpreter `Tracer` that, before each instruction,
//! looks for a recorded abstract state containing the live registers (`StateCheck`), and the
//! escape it reports when there is none.

use super::states::{AbsReg, StateRecorder};
use crate::interp::Tracer;
use crate::machine::{Machine, FRAME_SIZE};
use crate::maps::MapId;
use crate::mem::RegionKind;
use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_analyzer::verifier::domain::Scalar;
use bpfvet_analyzer::verifier::state::PtrKind;
use std::fmt;

/// A concrete state outside every abstract state recorded at its instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Escape {
    pub insn: InsnIdx,
    /// The register that failed in the closest recorded state (`None`: no state at this
    /// instruction and depth at all).
    pub reg: Option<u8>,
    pub concrete: u64,
    /// The closest recorded state's value of that register.
    pub abstract_state: String,
    /// How many states were recorded at the instruction (at that depth).
    pub n_states: usize,
    pub depth: usize,
}

impl fmt::Display for Escape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.reg {
            None => write!(
                f,
                "insn {}: reached at call depth {} where the analyzer explored no state",
                self.insn, self.depth
            ),
            Some(r) => write!(
                f,
                "insn {}: r{r} = {:#x} ({}) is outside the abstract state {} (closest of {} states at depth {})",
                self.insn, self.concrete, self.concrete as i64, self.abstract_state, self.n_states, self.depth
            ),
        }
    }
}

pub(super) struct StateCheck<'a> {
    /// The states of the program running now (the entry's, or a tail-call target's).
    pub(super) rec: &'a StateRecorder,
    pub(super) entry: &'a StateRecorder,
    /// The tail-call targets' states, by program-array value.
    pub(super) targets: &'a [&'a StateRecorder],
    /// Per tail call being run: its target and the frame it started in, the depth the
    /// target's own frame 0 has.
    pub(super) tails: Vec<(u32, usize)>,
    pub(super) maps: &'a [MapId],
    /// `r1` at the first instruction: the context's address.
    pub(super) ctx_base: Option<u64>,
    pub(super) escape: Option<Escape>,
    pub(super) checked: u64,
    pub(super) unchecked: u64,
}

fn offset_ok(conc_off: i64, off: i32, var_off: &Scalar) -> bool {
    let v = conc_off.wrapping_sub(i64::from(off)) as u64;
    Scalar::constant(v).le(var_off)
}

impl StateCheck<'_> {
    /// Whether `v` is in γ(`a`). `shift` is how many concrete frames lie below the abstract
    /// state's frame 0 (global functions are verified from their own frame 0).
    fn reg_ok(
        &self,
        m: &Machine,
        a: &AbsReg,
        v: u64,
        regs: &[u64; 11],
        depth: usize,
        shift: usize,
    ) -> bool {
        match a {
            AbsReg::Any => true,
            AbsReg::Scalar(s) => Scalar::constant(v).le(s),
            AbsReg::Ptr {
                kind,
                off,
                var_off,
                maybe_null,
            } => {
                if v == 0 && *maybe_null {
                    return true;
                }
                let region = m.mem.region_at(v);
                let in_region = |k: RegionKind| region.filter(|r| r.kind == k);
                match kind {
                    // Relative to the context's start, wherever it points (tracepoint
                    // programs add `__data_loc` offsets and hand the result to
                    // `probe_read`, so it may lie past the context).
                    PtrKind::Ctx => self
                        .ctx_base
                        .is_some_and(|b| offset_ok(v.wrapping_sub(b) as i64, *off, var_off)),
                    PtrKind::Stack { frame } => {
                        let top = regs[10].wrapping_add((depth * FRAME_SIZE) as u64);
                        let frame = usize::from(*frame) + shift;
                        let fp = top.wrapping_sub((frame * FRAME_SIZE) as u64);
                        offset_ok(v.wrapping_sub(fp) as i64, *off, var_off)
                    }
                    PtrKind::Packet | PtrKind::PacketMeta | PtrKind::PacketEnd => {
                        let Some((meta, data, end)) = m.mem.packet_bounds() else {
                            return false;
                        };
                        let base = match kind {
                            PtrKind::Packet => data,
                            PtrKind::PacketMeta => meta,
                            _ => end,
                        };
                        offset_ok(v.wrapping_sub(base) as i64, *off, var_off)
                    }
                    PtrKind::MapValue { map } => {
                        let Some(id) = crate::maps::of_maps::machine_map(self.maps, *map, region)
                        else {
                            return false;
                        };
                        let Some(mm) = m.map(id) else { return false };
                        let vs = i64::from(mm.def.value_size);
                        let stride = (u64::from(mm.def.value_size) + 7) & !7;
                        // A pointer whose offset may leave the value is not checked (it
                        // cannot be attributed to an element); one inside must point into a
                        // value of that map at a member offset.
                        let lo = i64::from(*off).saturating_add(var_off.smin());
                        let hi = i64::from(*off).saturating_add(var_off.smax());
                        if lo < 0 || hi >= vs {
                            return true;
                        }
                        let Some(r) = in_region(RegionKind::MapValue { map: id }) else {
                            return false;
                        };
                        let rel = v - r.start;
                        let elem_off = if r.len > stride { rel % stride } else { rel };
                        offset_ok(elem_off as i64, *off, var_off)
                    }
                    PtrKind::MapPtr { map } => {
                        crate::maps::of_maps::map_ptr_ok(m, self.maps, *map, v)
                    }
                    // Ring-buffer records, and global functions' sized-memory arguments, which
                    // may point into any region: it must point into one.
                    PtrKind::Mem { .. } => region.is_some(),
                    PtrKind::FlowKeys => region
                        .filter(|r| r.kind == RegionKind::FlowKeys)
                        .is_some_and(|r| offset_ok((v - r.start) as i64, *off, var_off)),
                    // Kinds the runtime does not model (sockets, map keys in callbacks,
                    // functions): not checked. Nor are BTF-typed kernel pointers: the verifier
                    // guarantees nothing about their address (a pointer field read out of a
                    // kernel object may hold anything), which is why loads through them are
                    // probe loads.
                    _ => true,
                }
            }
        }
    }
}

impl<'a> StateCheck<'a> {
    /// The recorder of the program on top of the tail-call stack, and its frame 0's depth.
    fn current(&self) -> (&'a StateRecorder, usize) {
        match self.tails.last() {
            Some(&(t, base)) => (self.targets[t as usize], base),
            None => (self.entry, 0),
        }
    }
}

impl Tracer for StateCheck<'_> {
    fn tail_call(&mut self, target: u32, depth: usize) {
        self.tails.push((target, depth));
        self.rec = self.current().0;
    }

    fn tail_return(&mut self) {
        // From a subprogram, its caller goes on with the target's `r0`: the verifier explores
        // that return at the tail call (r0 unknown), so checking goes on.
        self.tails.pop();
        self.rec = self.current().0;
    }

    fn step(&mut self, m: &Machine, pc: InsnIdx, regs: &[u64; 11], depth: usize) {
        if self.escape.is_some() {
            return;
        }
        // A tail-called program was verified from its own frame 0.
        let depth = depth - self.current().1;
        let i = pc.idx();
        if self.ctx_base.is_none() {
            self.ctx_base = Some(regs[1]);
        }
        if self.rec.saturated.get(i).copied().unwrap_or(true) {
            self.unchecked += 1;
            return;
        }
        self.checked += 1;
        let mut best: Option<(usize, u8, &AbsReg)> = None;
        let mut n_states = 0;
        // A state of the main program's exploration has the concrete depth; one of a global
        // function's own exploration starts at depth 0 however deep the call is.
        for (_, s) in &self.rec.states[i] {
            if s.depth > depth {
                continue;
            }
            let shift = depth - s.depth;
            n_states += 1;
            let mut bad = None;
            let mut n_bad = 0;
            for (n, a) in s.regs.iter().enumerate() {
                if !self.reg_ok(m, a, regs[n], regs, depth, shift) {
                    n_bad += 1;
                    bad.get_or_insert((n as u8, a));
                }
            }
            match bad {
                None => return,
                Some((r, a)) => {
                    if best.map_or(true, |b| n_bad < b.0) {
                        best = Some((n_bad, r, a));
                    }
                }
            }
        }
        self.escape = Some(match best {
            None => Escape {
                insn: pc,
                reg: None,
                concrete: 0,
                abstract_state: String::new(),
                n_states: 0,
                depth,
            },
            Some((_, r, a)) => Escape {
                insn: pc,
                reg: Some(r),
                concrete: regs[usize::from(r)],
                abstract_state: a.to_string(),
                n_states,
                depth,
            },
        });
    }
}
