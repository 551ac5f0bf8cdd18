//! `bpf_preempt_disable()` / `bpf_preempt_enable()` (Linux 6.10, every program type): the
//! kernel counts the disables on the path (`active_preempt_locks`). Each one is kept here as a
//! reference acquired by `bpf_preempt_disable` (as interrupt saves are), so the state needs no
//! new field and pruning compares them like any reference; an enable drops the latest.
//!
//! What the kernel refuses (its words, the 6.18 kernel and the 6.12 selftests preempt_lock.c):
//! an enable with none disabled; an exit of the main program (or a throw) with preemption
//! disabled; a helper or kfunc that may sleep inside; before 6.14, a call of a global
//! function inside (6.14 allows those that do not sleep).

use super::kfunc_args::clobber_args;
use super::{Flow, Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::env::KernelVersion;
use crate::verifier::state::{AbstractState, RegState};
use crate::verifier::violation::{Code, Violation};

/// What the kept disables are acquired by.
pub(super) const DISABLER: &str = "bpf_preempt_disable";

/// The release whose exit message names the region (`check_resource_leak`); before it the
/// kernel counted the missing enables.
const REGION_MESSAGE_SINCE: KernelVersion = KernelVersion::new(6, 13);

/// The release that lets non-sleeping global functions run with preemption disabled.
const GLOBAL_CALLS_SINCE: KernelVersion = KernelVersion::new(6, 14);

/// How many disables the path holds.
pub(super) fn depth(st: &AbstractState) -> usize {
    st.refs.iter().filter(|r| r.acquired_by == DISABLER).count()
}

impl Vm<'_> {
    pub(super) fn preempt_call(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        disable: bool,
    ) -> Res<Flow> {
        if disable {
            st.acquire(pc, DISABLER);
        } else {
            let Some(at) = st.refs.iter().rposition(|r| r.acquired_by == DISABLER) else {
                return Err(Violation::new(
                    Code::HelperNotAllowed,
                    pc,
                    "bpf_preempt_enable is called with preemption enabled (no bpf_preempt_disable on this path)",
                    "unmatched attempt to enable preemption (kernel function bpf_preempt_enable)",
                ));
            };
            st.refs.remove(at);
        }
        clobber_args(st);
        st.set(Reg::R0, RegState::Uninit);
        Ok(Flow::Next(InsnIdx(pc.0 + 1)))
    }

    /// The main program's exit (`prefix` "BPF_EXIT instruction in main prog") or a throw
    /// ("bpf_throw") with preemption disabled.
    pub(super) fn preempt_left_disabled(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        prefix: &str,
    ) -> Res<()> {
        let n = depth(st);
        if n == 0 {
            return Ok(());
        }
        let kernel = if self.opts.kernel >= REGION_MESSAGE_SINCE {
            format!("{prefix} cannot be used inside bpf_preempt_disable-ed region")
        } else if n == 1 {
            "1 bpf_preempt_enable is missing".to_string()
        } else {
            format!("{n} bpf_preempt_enable(s) are missing")
        };
        let first = st
            .refs
            .iter()
            .find(|r| r.acquired_by == DISABLER)
            .map_or(pc, |r| r.acquired_at);
        Err(Violation::new(
            Code::HelperNotAllowed,
            pc,
            format!("{n} bpf_preempt_disable() not matched by bpf_preempt_enable() on this path"),
            kernel,
        )
        .with_related(first, "preemption disabled here"))
    }

    /// A call of a global function with preemption disabled.
    pub(super) fn preempt_global_call(&self, st: &AbstractState, pc: InsnIdx) -> Res<()> {
        if depth(st) == 0 {
            return Ok(());
        }
        if self.opts.kernel < GLOBAL_CALLS_SINCE {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!(
                    "Linux {} allows no global function call with preemption disabled (non-sleeping ones from 6.14); make it static",
                    self.opts.kernel
                ),
                "global function calls are not allowed with preemption disabled,\nuse static function instead",
            ));
        }
        if self.input.sleepable {
            // The kernel refuses a global function that may sleep; bpfvet does not yet work
            // out which ones may, so it refuses them all here rather than accept one that does.
            return Err(Violation::new(
                Code::UnsupportedHelper,
                pc,
                "a global function is called with preemption disabled in a sleepable program; bpfvet does not yet tell whether it may sleep",
                "",
            ));
        }
        Ok(())
    }

    /// A helper or kfunc that may sleep, called with preemption disabled.
    pub(super) fn preempt_sleeping_call(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        what: &str,
        kernel: String,
    ) -> Res<()> {
        if depth(st) == 0 {
            return Ok(());
        }
        Err(Violation::new(
            Code::SleepableHelper,
            pc,
            format!("{what} may sleep, and preemption is disabled here"),
            kernel,
        ))
    }
}
