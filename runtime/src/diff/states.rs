//! The abstract states the analyzer explored, recorded per instruction while it verifies the
//! program (`StateRecorder`, an analyzer `Observer`).

use super::MAX_STATES_PER_INSN;
use bpfvet_analyzer::isa::{Insn, InsnIdx};
use bpfvet_analyzer::verifier::domain::Scalar;
use bpfvet_analyzer::verifier::state::{AbstractState, PtrKind, RegState};
use bpfvet_analyzer::verifier::{live_regs, Observer};
use std::fmt;
use std::hash::{Hash, Hasher};

/// One register as recorded: what the check needs, ids dropped.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub(super) enum AbsReg {
    /// Not checked: dead, uninitialised, or a kind the runtime does not model.
    Any,
    Scalar(Scalar),
    Ptr {
        kind: PtrKind,
        off: i32,
        var_off: Scalar,
        maybe_null: bool,
    },
}

impl fmt::Display for AbsReg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AbsReg::Any => f.write_str("any"),
            AbsReg::Scalar(s) => write!(f, "scalar({s})"),
            AbsReg::Ptr {
                kind,
                off,
                var_off,
                maybe_null,
            } => {
                write!(f, "{}", kind.kernel_name())?;
                if *maybe_null {
                    f.write_str("_or_null")?;
                }
                write!(f, "(off={off}")?;
                if var_off.as_const() != Some(0) {
                    write!(f, ",var_off={var_off}")?;
                }
                f.write_str(")")
            }
        }
    }
}

#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub(super) struct Snapshot {
    pub(super) depth: usize,
    pub(super) regs: [AbsReg; 11],
}

/// Per instruction, the distinct abstract register files the verifier explored there.
#[derive(Debug)]
pub struct StateRecorder {
    live: Vec<u16>,
    pub(super) states: Vec<Vec<(u64, Snapshot)>>,
    pub(super) saturated: Vec<bool>,
}

impl StateRecorder {
    pub fn new(insns: &[Insn]) -> StateRecorder {
        StateRecorder {
            live: live_regs(insns),
            states: vec![Vec::new(); insns.len()],
            saturated: vec![false; insns.len()],
        }
    }

    /// Instructions with at least one recorded state.
    pub fn n_covered(&self) -> usize {
        self.states.iter().filter(|s| !s.is_empty()).count()
    }

    /// Instructions where more than [`MAX_STATES_PER_INSN`] states were seen (not checked).
    pub fn n_saturated(&self) -> usize {
        self.saturated.iter().filter(|s| **s).count()
    }
}

fn abs_reg(r: &RegState) -> AbsReg {
    match r {
        RegState::Uninit => AbsReg::Any,
        RegState::Scalar { v, .. } => AbsReg::Scalar(*v),
        RegState::Ptr(p) => AbsReg::Ptr {
            kind: p.kind,
            off: p.off,
            var_off: p.var_off,
            maybe_null: p.maybe_null,
        },
    }
}

impl Observer for StateRecorder {
    fn wants_states(&self) -> bool {
        true
    }

    fn step(&mut self, pc: InsnIdx, before: &AbstractState, _after: Option<&AbstractState>) {
        let i = pc.idx();
        if i >= self.states.len() || self.saturated[i] {
            return;
        }
        let live = self.live.get(i).copied().unwrap_or(u16::MAX);
        let frame = before.cur();
        let mut regs = [AbsReg::Any; 11];
        for (n, r) in frame.regs.iter().enumerate() {
            if live & (1 << n) != 0 {
                regs[n] = abs_reg(r);
            }
        }
        let snap = Snapshot {
            depth: before.frame_no(),
            regs,
        };
        let mut h = std::collections::hash_map::DefaultHasher::new();
        snap.hash(&mut h);
        let h = h.finish();
        let list = &mut self.states[i];
        if list.iter().any(|(k, s)| *k == h && *s == snap) {
            return;
        }
        if list.len() >= MAX_STATES_PER_INSN {
            self.saturated[i] = true;
            list.clear();
            return;
        }
        list.push((h, snap));
    }
}
