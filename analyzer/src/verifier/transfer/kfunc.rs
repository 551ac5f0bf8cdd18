//! Kfunc calls: the callee is named by the loader's relocation and looked up in
//! [`crate::verifier::kfuncs`]; today the open-coded iterators (`bpf_iter_num_*`).
//!
//! An iterator lives in stack slots of the frame its pointer names (the kernel's `STACK_ITER`,
//! here [`IterSlot`]): `new` needs slots that hold no iterator and makes them an *active*
//! iterator holding a new reference; `next` needs an initialised iterator and forks: the path
//! on which it returns NULL continues at once with the iterator *drained*, and the path on which
//! it returns a read-only pointer to the element is queued with the iteration depth one higher
//! (the kernel's `process_iter_next_call`); `destroy` releases the reference, which invalidates
//! every element pointer, and frees the slots. A drained iterator's `next` returns NULL only.
//! How loops over `next` converge is the engine's business (see `engine.rs`).

use super::{read, Flow, Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::kfuncs::{self, KfuncKind, KfuncSig};
use crate::verifier::state::{
    AbstractState, IterSlot, Pointer, PtrKind, Reference, RegState, StackByte,
};
use crate::verifier::violation::{Code, Violation};

const ARG_REGS: [Reg; 5] = [Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5];

/// Where an iterator argument points: frame and first slot index (`stack[slot]`).
struct IterArg {
    frame: usize,
    slot: usize,
}

impl Vm<'_> {
    /// The kfunc the call at `pc` goes to, if the object names one bpfvet models.
    pub(in crate::verifier) fn kfunc_at(&self, pc: InsnIdx) -> Option<&'static KfuncSig> {
        kfuncs::extern_at(self.input.relocs, pc).and_then(kfuncs::by_name)
    }

    pub(super) fn kfunc_call(&self, st: &mut AbstractState, pc: InsnIdx) -> Res<Flow> {
        let Some(name) = kfuncs::extern_at(self.input.relocs, pc) else {
            return Err(Violation::new(
                Code::UnsupportedHelper,
                pc,
                "a call to a kernel function (kfunc) whose name the object does not give; bpfvet identifies kfuncs by their extern symbol",
                "",
            ));
        };
        let Some(k) = kfuncs::by_name(name) else {
            return Err(Violation::new(
                Code::UnsupportedHelper,
                pc,
                format!("calls to the kernel function {name} are not supported by bpfvet yet (it models bpf_iter_num_new, bpf_iter_num_next and bpf_iter_num_destroy)"),
                "",
            ));
        };
        if k.since > self.opts.kernel {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!(
                    "{name} needs Linux {} or newer (profile: {})",
                    k.since, self.opts.kernel
                ),
                "",
            )
            .with_note("libbpf refuses the load when the kernel's BTF has no such function"));
        }
        if !self.input.gpl {
            return Err(Violation::new(
                Code::GplOnlyHelper,
                pc,
                format!("{name} is a kernel function, and only programs with a GPL-compatible license may call kernel functions"),
                "cannot call kernel function from non-GPL compatible program",
            ));
        }
        let it = self.iter_arg(st, pc, k)?;
        let next = InsnIdx(pc.0 + 1);
        match k.kind {
            KfuncKind::IterNew => {
                if st.frames[it.frame]
                    .slot(it.slot)
                    .is_some_and(|s| s.iter.is_some())
                {
                    return Err(misuse(
                        pc,
                        k,
                        format!(
                            "{} is given an iterator that is already initialised; destroy it first",
                            k.name
                        ),
                        format!("expected uninitialized iter_{} as arg #0", k.iter),
                    ));
                }
                for (i, r) in ARG_REGS
                    .iter()
                    .enumerate()
                    .skip(1)
                    .take(usize::from(k.scalar_args))
                {
                    let v = read(st, pc, *r)?;
                    super::call::expect_number(&v, pc, *r, i, k.name)?;
                }
                let ref_id = st.fresh_id();
                st.refs.push(Reference {
                    id: ref_id,
                    acquired_at: pc,
                    acquired_by: k.name,
                });
                let slot = st.frames[it.frame].slot_mut(it.slot);
                slot.bytes = [StackByte::Misc; 8];
                slot.spilled = None;
                slot.iter = Some(IterSlot {
                    ref_id,
                    active: true,
                    depth: 0,
                });
                clobber_args(st);
                st.set(Reg::R0, RegState::unknown());
                Ok(Flow::Next(next))
            }
            KfuncKind::IterNext => {
                let cur = self.live_iter(st, pc, k, &it)?;
                clobber_args(st);
                st.set(Reg::R0, RegState::scalar_const(0));
                if !cur.active {
                    return Ok(Flow::Next(next));
                }
                let mut other = st.clone();
                if let Some(s) = other.frames[it.frame].slot_mut(it.slot).iter.as_mut() {
                    s.depth += 1;
                }
                let mut elem = Pointer::new(PtrKind::Mem {
                    size: k.elem_size,
                    rdonly: true,
                });
                elem.ref_obj_id = cur.ref_id;
                other.set(Reg::R0, RegState::Ptr(elem));
                if let Some(s) = st.frames[it.frame].slot_mut(it.slot).iter.as_mut() {
                    s.active = false;
                }
                Ok(Flow::Fork {
                    cont: next,
                    other: (next, Box::new(other)),
                })
            }
            KfuncKind::IterDestroy => {
                let cur = self.live_iter(st, pc, k, &it)?;
                st.refs.retain(|r| r.id != cur.ref_id);
                st.for_each_reg_mut(|reg| {
                    if matches!(reg, RegState::Ptr(p) if p.ref_obj_id == cur.ref_id) {
                        *reg = RegState::unknown();
                    }
                });
                let slot = st.frames[it.frame].slot_mut(it.slot);
                slot.iter = None;
                slot.bytes = [StackByte::Invalid; 8];
                clobber_args(st);
                st.set(Reg::R0, RegState::Uninit);
                Ok(Flow::Next(next))
            }
        }
    }

    /// Checks that r1 points at an iterator's slots on some frame's stack.
    fn iter_arg(&self, st: &AbstractState, pc: InsnIdx, k: &KfuncSig) -> Res<IterArg> {
        let v = read(st, pc, Reg::R1)?;
        let Some(Pointer {
            kind: PtrKind::Stack { frame },
            off,
            var_off,
            ..
        }) = v.as_ptr()
        else {
            return Err(misuse(
                pc,
                k,
                format!(
                    "{} takes a pointer to its iterator on the stack, but r1 is {}",
                    k.name,
                    v.type_name()
                ),
                "arg#0 expected pointer to an iterator on stack".to_string(),
            ));
        };
        let off = match var_off.as_const() {
            Some(0) => i64::from(*off),
            _ => {
                return Err(misuse(
                    pc,
                    k,
                    format!("{} gets an iterator pointer with a variable offset", k.name),
                    String::new(),
                ))
            }
        };
        self.stack_bounds(pc, Reg::R1, off, k.iter_size, true)?;
        if off % 8 != 0 {
            return Err(misuse(
                pc,
                k,
                format!("the iterator at fp{off:+} is not aligned to 8 bytes"),
                String::new(),
            ));
        }
        Ok(IterArg {
            frame: usize::from(*frame),
            slot: ((-off - 1) / 8) as usize,
        })
    }

    /// The initialised iterator `it` points at, or the kernel's error for one that is not.
    fn live_iter(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        k: &KfuncSig,
        it: &IterArg,
    ) -> Res<IterSlot> {
        match st.frames[it.frame].slot(it.slot).and_then(|s| s.iter) {
            Some(cur) => Ok(cur),
            None => Err(misuse(
                pc,
                k,
                format!("{} is given an iterator that was never initialised with bpf_iter_{}_new (or was destroyed, or overwritten)", k.name, k.iter),
                format!("expected an initialized iter_{} as arg #0", k.iter),
            )),
        }
    }
}

/// The caller-saved argument registers are unreadable after any call.
fn clobber_args(st: &mut AbstractState) {
    for r in ARG_REGS {
        st.set(r, RegState::Uninit);
    }
}

fn misuse(pc: InsnIdx, k: &KfuncSig, message: String, kernel: String) -> Box<Violation> {
    Violation::new(Code::HelperArgType, pc, message, kernel).with_note(format!(
        "an iterator must go bpf_iter_{0}_new, then bpf_iter_{0}_next any number of times, then bpf_iter_{0}_destroy, on every path",
        k.iter
    ))
}

#[cfg(test)]
mod tests;
