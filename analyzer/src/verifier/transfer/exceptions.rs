//! `bpf_throw(cookie)` (Linux 6.7): the program unwinds to its exception callback, or returns
//! the cookie when it has none. The kernel ends the path at the call, after the checks of an
//! exit that it makes for an exception exit (`check_resource_leak` with `exception_exit`, in
//! any frame): nothing the unwinder would drop may be held, since it releases nothing; no
//! reference, no interrupts or preemption disabled, no RCU read section. With no exception callback the
//! cookie becomes the program's return value, so r1 must be in the program type's return
//! range. A spin lock held at the call is refused before this, as for any kfunc call.

use super::ret_range::invalid_scalar_text;
use super::{read, Flow, Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::state::AbstractState;
use crate::verifier::violation::{Code, Violation};

impl Vm<'_> {
    pub(super) fn throw_call(&self, st: &mut AbstractState, pc: InsnIdx) -> Res<Flow> {
        let held = |r: &&crate::verifier::state::Reference| {
            !super::irq::is_irq_saver(r.acquired_by) && r.acquired_by != super::preempt::DISABLER
        };
        if let Some(rf) = st.refs.iter().find(held) {
            return Err(Violation::new(
                Code::ReferenceLeak,
                pc,
                format!(
                    "bpf_throw unwinds the program without releasing the reference acquired by {}",
                    rf.acquired_by
                ),
                format!(
                    "Unreleased reference id={} alloc_insn={}\nbpf_throw would lead to reference leak",
                    rf.id, rf.acquired_at
                ),
            )
            .with_related(rf.acquired_at, format!("acquired here by {}", rf.acquired_by)));
        }
        if let Some(rf) = st
            .refs
            .iter()
            .find(|r| super::irq::is_irq_saver(r.acquired_by))
        {
            return Err(Violation::new(
                Code::ReferenceLeak,
                pc,
                "bpf_throw unwinds the program with interrupts disabled by bpf_local_irq_save",
                "bpf_throw cannot be used inside bpf_local_irq_save-ed region",
            )
            .with_related(rf.acquired_at, "saved here"));
        }
        if st.rcu_lock {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                "bpf_throw unwinds the program inside an RCU read section; call bpf_rcu_read_unlock() first",
                "bpf_throw cannot be used inside bpf_rcu_read_lock-ed region",
            ));
        }
        self.preempt_left_disabled(st, pc, "bpf_throw")?;
        if self.exception_cb.is_none() {
            self.default_cookie(st, pc)?;
        }
        Ok(Flow::Done)
    }

    /// Without an exception callback the cookie in r1 is what the program returns.
    fn default_cookie(&self, st: &AbstractState, pc: InsnIdx) -> Res<()> {
        // An LSM hook's int result is judged on its low 32 bits (the kernel's `return_32bit`).
        let ranges = [
            self.input
                .prog_type
                .ret_range(self.input.attach)
                .map(|(lo, hi)| (lo, hi, false)),
            self.lsm_ret_range().map(|(lo, hi)| (lo, hi, true)),
        ];
        for (lo, hi, bits32) in ranges.into_iter().flatten() {
            let r1 = read(st, pc, Reg::R1)?;
            let Some(v) = r1.as_scalar() else {
                return Err(Violation::new(
                    Code::ReturnOutOfRange,
                    pc,
                    "the cookie bpf_throw returns from the program (r1) must be a number",
                    format!(
                        "At program exit the register R1 is not a known value ({})",
                        r1.type_name()
                    ),
                ));
            };
            let (min, max) = if bits32 {
                (i64::from(v.s32_min()), i64::from(v.s32_max()))
            } else {
                (v.smin(), v.smax())
            };
            if min < lo || max > hi {
                return Err(Violation::new(
                    Code::ReturnOutOfRange,
                    pc,
                    format!(
                        "the cookie bpf_throw returns from the program (r1) may be outside [{lo}, {hi}], the range {} programs must return",
                        self.input.prog_type.name
                    ),
                    invalid_scalar_text("At program exit", v, lo, hi)
                        .replacen("register R0", "register R1", 1),
                ));
            }
        }
        Ok(())
    }
}
