//! Kfunc calls: the callee is named by the loader's relocation, looked up in the rules table
//! ([`crate::rules::kfuncs`]: flags, program types, release) and in the kernel's BTF (its
//! prototype, [`crate::verifier::kfuncs::resolve`]); arguments are checked in `kfunc_args.rs`.
//!
//! Open-coded iterators live in stack slots of the frame their pointer names (the kernel's
//! `STACK_ITER`, here [`IterSlot`] on each 8-byte slot of `struct bpf_iter_<name>`): `new`
//! needs slots that hold no iterator and makes them an *active* iterator holding a new
//! reference; `next` needs an initialised iterator of the same family and forks: the path on
//! which it returns NULL continues at once with the iterator *drained*, and the path on which
//! it returns the element is queued with the iteration depth one higher (the kernel's
//! `process_iter_next_call`); `destroy` releases the reference, which invalidates every element
//! pointer, and frees the slots. A drained iterator's `next` returns NULL only. How loops over
//! `next` converge is the engine's business (see `engine.rs`).

use super::kfunc_args::{arg_err, clobber_args, opaque, release_ref};
use super::{read, Flow, Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::kfuncs::{self, kf, IterDef, KfuncDef, Proto, Ret, Role};
use crate::verifier::state::{
    AbstractState, IterSlot, Pointer, PtrKind, RegState, StackByte, Trust,
};
use crate::verifier::violation::{Code, Violation};

/// Where an iterator argument points: frame, and the slot indices (`stack[slot]`) it covers,
/// the one the pointer names first.
struct IterArg {
    frame: usize,
    slots: Vec<usize>,
}

impl Vm<'_> {
    /// The kfunc the call at `pc` goes to, if the object names one bpfvet models.
    pub(in crate::verifier) fn kfunc_at(&self, pc: InsnIdx) -> Option<&'static KfuncDef> {
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
            // A function the target kernel does not have fails at load time whatever its
            // flags would be: that is the kernel's answer, table or not.
            if self
                .input
                .kernel_btf
                .is_some_and(|b| b.find_by_name(name, "func").is_none())
            {
                return Err(missing_kfunc(pc, name));
            }
            return Err(Violation::new(
                Code::UnsupportedHelper,
                pc,
                format!("calls to the kernel function {name} are not supported by bpfvet yet (its flags are not in bpfvet's kfunc table)"),
                "",
            ));
        };
        if let Some(gone) =
            crate::rules::kfuncs::removed_in(name).filter(|g| self.opts.kernel >= *g)
        {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!(
                    "{name} is an older kfunc name that Linux {gone} dropped (profile: {}); newer kernels call it {name}_impl",
                    self.opts.kernel
                ),
                format!("extern (func ksym) '{name}': not found in kernel or module BTFs"),
            )
            .with_note("libbpf refuses the load when the kernel's BTF has no such function"));
        }
        if k.since > self.opts.kernel {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!(
                    "{name} needs Linux {} or newer (profile: {})",
                    k.since, self.opts.kernel
                ),
                format!("extern (func ksym) '{name}': not found in kernel or module BTFs"),
            )
            .with_note("libbpf refuses the load when the kernel's BTF has no such function"));
        }
        if self.input.kernel_btf.is_some() {
            // The prototype is read (and cached) for every kfunc: libbpf refuses an object
            // whose declaration does not match the kernel's before anything is verified.
            let proto = self.kfunc_proto(pc, name)?;
            self.check_declared_proto(pc, name, &proto)?;
        }
        if !self.input.gpl {
            return Err(Violation::new(
                Code::GplOnlyHelper,
                pc,
                format!("{name} is a kernel function, and only programs with a GPL-compatible license may call kernel functions"),
                "cannot call kernel function from non-GPL compatible program",
            ));
        }
        // A held lock is checked before the kfunc is looked up for this program type
        // (`do_check` refuses the call before `check_kfunc_call`). Numeric iterators are
        // allowed too from 6.12 (earlier profiles refuse them: the
        // stricter answer where the release is not measured).
        let iter_num_ok = matches!(k.role, Role::Iter(IterDef { name: "num", .. }))
            && self.opts.kernel >= crate::verifier::env::KernelVersion::new(6, 12);
        // Resilient locks nest: their kfuncs may be called with locks held.
        let res_lock_op = matches!(k.role, Role::ResLock { .. } | Role::ResUnlock { .. });
        if st.holds_lock()
            && !iter_num_ok
            && !res_lock_op
            && !graph::allowed_under_lock(alloc_op(k))
        {
            return Err(Violation::new(
                Code::SpinLockMisuse,
                pc,
                format!("{name} is called while a spin lock is held; only list and rbtree operations may be"),
                "function calls are not allowed while holding a lock",
            ));
        }
        if !crate::rules::kfuncs::allowed_at(k, self.input.prog_type.kernel_id, self.opts.kernel) {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!(
                    "{name} may not be called from {} programs (its kfunc set is not registered for them)",
                    self.input.prog_type.name
                ),
                format!("calling kernel function {name} is not allowed"),
            ));
        }
        if k.has(kf::SLEEPABLE) && !self.input.sleepable {
            return Err(Violation::new(
                Code::SleepableHelper,
                pc,
                format!("{name} may sleep, and this program is not sleepable"),
                format!("program must be sleepable to call sleepable kfunc {name}"),
            ));
        }
        // Non-sleepable programs run inside an RCU read section, and so does code holding a
        // spin lock (the kernel's `in_rcu_cs`).
        let in_rcu_cs = st.rcu_lock || st.holds_lock() || !self.input.sleepable;
        if k.has(kf::RCU_PROTECTED) && !in_rcu_cs {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!("{name} must run inside an RCU read section, which a sleepable program has only between bpf_rcu_read_lock() and bpf_rcu_read_unlock()"),
                format!("kernel func {name} requires RCU critical section protection"),
            ));
        }
        if k.has(kf::SLEEPABLE) && st.rcu_lock {
            return Err(Violation::new(
                Code::SleepableHelper,
                pc,
                format!("{name} may sleep, and it is called inside an RCU read section"),
                format!("kernel func {name} is sleepable within rcu_read_lock region"),
            ));
        }
        if k.has(kf::SLEEPABLE) {
            self.preempt_sleeping_call(
                st,
                pc,
                name,
                format!("kernel func {name} is sleepable within non-preemptible region"),
            )?;
        }
        let next = InsnIdx(pc.0 + 1);
        match k.role {
            Role::Iter(def) => self.iter_call(st, pc, k, def),
            Role::IrqSave => self.irq_call(st, pc, k, true),
            Role::IrqRestore => self.irq_call(st, pc, k, false),
            Role::ResLock { irq } => self.res_lock_call(st, pc, k, true, irq),
            Role::ResUnlock { irq } => self.res_lock_call(st, pc, k, false, irq),
            Role::Throw => self.throw_call(st, pc),
            Role::PreemptDisable => self.preempt_call(st, pc, true),
            Role::PreemptEnable => self.preempt_call(st, pc, false),
            Role::Alloc(op) => self.alloc_kfunc(st, pc, k, op),
            Role::RcuReadLock => {
                if st.rcu_lock {
                    return Err(Violation::new(
                        Code::HelperNotAllowed,
                        pc,
                        "bpf_rcu_read_lock is called inside an RCU read section already; the kernel refuses nested sections",
                        format!("nested rcu read lock (kernel function {name})"),
                    ));
                }
                st.rcu_lock = true;
                clobber_args(st);
                st.set(Reg::R0, RegState::Uninit);
                Ok(Flow::Next(next))
            }
            Role::RcuReadUnlock => {
                if !st.rcu_lock {
                    return Err(Violation::new(
                        Code::HelperNotAllowed,
                        pc,
                        "bpf_rcu_read_unlock is called outside an RCU read section",
                        format!("unmatched rcu read unlock (kernel function {name})"),
                    ));
                }
                end_rcu_section(st);
                clobber_args(st);
                st.set(Reg::R0, RegState::Uninit);
                Ok(Flow::Next(next))
            }
            Role::CastToKernCtx => {
                let v = read(st, pc, Reg::R1)?;
                if !matches!(v.as_ptr(), Some(p) if p.kind == PtrKind::Ctx && p.off == 0 && p.has_const_off())
                {
                    return Err(arg_err(
                        pc,
                        k,
                        format!(
                            "bpf_cast_to_kern_ctx takes the program's context, but r1 is {}",
                            v.type_name()
                        ),
                        format!("arg#0 expected pointer to ctx, but got {}", v.type_name()),
                    ));
                }
                // The kernel's own context struct (`struct sk_buff` for `__sk_buff`, `struct
                // xdp_buff` for `xdp_md`, bpf_types.h), typed from its BTF where bpfvet knows
                // the program type's; otherwise an object whose fields it does not know.
                let type_id = kern_ctx_struct(self.input.prog_type.kernel_id)
                    .map_or(0, |name| self.kernel_struct_id(name));
                clobber_args(st);
                st.set(
                    Reg::R0,
                    RegState::ptr(PtrKind::BtfId {
                        type_id,
                        trust: Trust::Trusted,
                    }),
                );
                Ok(Flow::Next(next))
            }
            Role::RdonlyCast => {
                read(st, pc, Reg::R1)?;
                let id = read(st, pc, Reg::R2)?;
                if id.as_scalar().and_then(|s| s.as_const()).is_none() {
                    return Err(arg_err(
                        pc,
                        k,
                        "bpf_rdonly_cast's type id (r2) must be a constant the verifier knows"
                            .to_string(),
                        "R2 must be a known constant".to_string(),
                    ));
                }
                // The id is the kernel's (`bpf_core_cast` takes it from a CO-RE type-id
                // relocation, resolved against the kernel's BTF): a struct there makes the
                // result an untrusted object of that type. Anything else is an untrusted object
                // of unknown layout here (loads from it are unknown numbers), never trusted.
                let want = id.as_scalar().and_then(|s| s.as_const()).unwrap_or(0);
                let is_struct = self.input.kernel_btf.is_some_and(|b| {
                    u32::try_from(want).is_ok_and(|w| {
                        matches!(
                            b.type_by_id(crate::btf::TypeId(w)).map(|t| &t.kind),
                            Some(crate::btf::BtfKind::Struct { .. })
                        )
                    })
                });
                self.rdonly_cast_target(pc, k, want, is_struct)?;
                let type_id = if is_struct { want as u32 } else { 0 };
                clobber_args(st);
                // The kernel marks the result `PTR_UNTRUSTED`: readable, never an argument. A
                // cast to `void` (id 0, which `rdonly_cast_target` let through only where the
                // release takes it) is read-only untrusted memory.
                let r0 = if want == 0 && self.input.kernel_btf.is_some() {
                    PtrKind::UntrustedMem
                } else {
                    PtrKind::BtfId {
                        type_id,
                        trust: Trust::Marked,
                    }
                };
                st.set(Reg::R0, RegState::ptr(r0));
                Ok(Flow::Next(next))
            }
            Role::Plain => {
                let proto = self.kfunc_proto(pc, name)?;
                let seen = self.kfunc_args(st, pc, k, &proto, 0)?;
                if let Some(id) = seen.release {
                    if !st.refs.iter().any(|r| r.id == id) {
                        return Err(Violation::new(
                            Code::InvalidRelease,
                            pc,
                            format!("{name} releases something that is not an acquired reference"),
                            "release reference id mismatch",
                        ));
                    }
                    release_ref(st, id);
                }
                // An acquired object is trusted through its reference (the kernel's
                // `is_trusted_reg` counts `ref_obj_id`), not through `PTR_TRUSTED`; other
                // returned objects are not trusted.
                let r0 = match self.dynptr_kfunc_result(st, pc, k, &seen)? {
                    Some(r0) => r0,
                    None => self.kfunc_result(st, pc, k, &proto.ret, Trust::Untrusted)?,
                };
                clobber_args(st);
                st.set(Reg::R0, r0);
                Ok(Flow::Next(next))
            }
        }
    }

    /// The prototype of an iterator kfunc; without the kernel's BTF, the numeric iterator's
    /// is known (`new(it, int, int)`, `next` returning `int *`).
    fn iter_proto(&self, pc: InsnIdx, k: &KfuncDef, def: IterDef) -> Res<Proto> {
        if self.input.kernel_btf.is_none() && def.name == "num" {
            use crate::verifier::kfuncs::Param;
            let it = ("it".to_string(), Param::Ignored);
            let num = Param::Scalar { constant: false };
            return Ok(Proto {
                params: if k.has(kf::ITER_NEW) {
                    vec![it, ("start".into(), num.clone()), ("end".into(), num)]
                } else {
                    vec![it]
                },
                ret: if k.has(kf::ITER_NEXT) {
                    Ret::Mem { size: 4 }
                } else {
                    Ret::Scalar
                },
                kernel_proto: 0,
            });
        }
        self.kfunc_proto(pc, k.name)
    }

    fn iter_call(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        def: IterDef,
    ) -> Res<Flow> {
        let proto = self.iter_proto(pc, k, def)?;
        let size = match self.input.kernel_btf {
            Some(b) => {
                let id = self.kernel_struct_id(&format!("bpf_iter_{}", def.name));
                b.size_of(crate::btf::TypeId(id))
                    .filter(|_| id != 0)
                    .map_or(def.size, |s| s as u32)
            }
            None => def.size,
        };
        let it = self.iter_arg(st, pc, k, def, size)?;
        let next = InsnIdx(pc.0 + 1);
        if k.has(kf::ITER_NEW) && def.name == "css_task" && !self.css_task_iter_allowed() {
            // Walking a cgroup's tasks takes a lock that may sleep (the kernel's
            // `check_css_task_iter_allowlist`, checked with the iterator argument).
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!(
                    "{} may be called only from LSM programs, BPF iterators and sleepable programs",
                    k.name
                ),
                "css_task_iter is only allowed in bpf_lsm, bpf_iter and sleepable progs",
            ));
        }
        if k.has(kf::ITER_NEW) {
            if it.slots.iter().any(|&s| {
                st.frames[it.frame]
                    .slot(s)
                    .is_some_and(|s| s.iter.is_some())
            }) {
                return Err(misuse(
                    pc,
                    def,
                    format!(
                        "{} is given an iterator that is already initialised; destroy it first",
                        k.name
                    ),
                    format!("expected uninitialized iter_{} as arg #0", def.name),
                ));
            }
            self.kfunc_args(st, pc, k, &proto, 1)?;
            let ref_id = st.acquire(pc, k.name);
            for &s in &it.slots {
                let slot = st.frames[it.frame].slot_mut(s);
                opaque(slot);
                slot.iter = Some(IterSlot {
                    ref_id,
                    active: true,
                    depth: 0,
                    family: def.name,
                    rcu_gone: false,
                });
            }
            clobber_args(st);
            st.set(Reg::R0, RegState::unknown());
            return Ok(Flow::Next(next));
        }
        let cur = self.live_iter(st, pc, k, def, &it)?;
        if k.has(kf::ITER_NEXT) {
            // Elements of an RCU-protected iterator are RCU pointers, others trusted
            // (`process_iter_next_call` and `check_kfunc_call`).
            let new_def = kfuncs::by_name(&format!("bpf_iter_{}_new", def.name));
            let trust = if new_def.is_some_and(|n| n.has(kf::RCU_PROTECTED)) {
                Trust::Rcu
            } else {
                Trust::Trusted
            };
            let elem = match proto.ret {
                Ret::Mem { size } => Pointer::new(PtrKind::Mem {
                    size,
                    rdonly: true,
                    ringbuf: false,
                }),
                Ret::Struct { type_id } => Pointer::new(PtrKind::BtfId { type_id, trust }),
                _ => {
                    return Err(Violation::new(
                        Code::UnsupportedHelper,
                        pc,
                        format!("{} returns a kind of element bpfvet does not model", k.name),
                        "",
                    ))
                }
            };
            clobber_args(st);
            st.set(Reg::R0, RegState::scalar_const(0));
            if !cur.active {
                return Ok(Flow::Next(next));
            }
            let mut other = st.clone();
            for &s in &it.slots {
                if let Some(i) = other.frames[it.frame].slot_mut(s).iter.as_mut() {
                    i.depth += 1;
                }
            }
            let mut elem = elem;
            elem.ref_obj_id = cur.ref_id;
            other.set(Reg::R0, RegState::Ptr(elem));
            for &s in &it.slots {
                if let Some(i) = st.frames[it.frame].slot_mut(s).iter.as_mut() {
                    i.active = false;
                }
            }
            return Ok(Flow::Fork {
                cont: next,
                other: (next, other),
            });
        }
        // destroy
        release_ref(st, cur.ref_id);
        for &s in &it.slots {
            let slot = st.frames[it.frame].slot_mut(s);
            slot.iter = None;
            slot.bytes = [StackByte::Invalid; 8];
        }
        clobber_args(st);
        st.set(Reg::R0, RegState::Uninit);
        Ok(Flow::Next(next))
    }

    /// libbpf's refusal of an extern kfunc declared with a prototype incompatible with the
    /// kernel's (cached per name).
    fn check_declared_proto(&self, pc: InsnIdx, name: &str, proto: &Proto) -> Res<()> {
        let (Some(obj), Some(kernel)) = (self.input.btf, self.input.kernel_btf) else {
            return Ok(());
        };
        // The local prototype's id when it is incompatible, cached per name.
        let bad = *self
            .kfunc_compat
            .borrow_mut()
            .entry(name.to_string())
            .or_insert_with(|| {
                kfuncs::local_proto(obj, name).filter(|&local| {
                    !kfuncs::types_compatible(
                        obj,
                        local,
                        kernel,
                        crate::btf::TypeId(proto.kernel_proto),
                    )
                })
            });
        let Some(local) = bad else {
            return Ok(());
        };
        Err(Violation::new(
            Code::HelperNotAllowed,
            pc,
            format!("the object declares {name} with a prototype that does not match the kernel's (a forward-declared struct where the kernel has a struct, a different argument count or kind...)"),
            format!(
                "extern (func ksym) '{name}': func_proto [{}] incompatible with vmlinux [{}]",
                local.0, proto.kernel_proto
            ),
        )
        .with_note("libbpf refuses to load the object; declare the kfunc as the kernel does (vmlinux.h has its types)"))
    }

    /// Whether this program may create a css_task iterator: LSM programs, BPF iterators and
    /// sleepable programs.
    fn css_task_iter_allowed(&self) -> bool {
        const LSM: u32 = 29;
        self.input.prog_type.kernel_id == LSM
            || self.input.attach == Some(crate::prog_type::AttachType::TraceIter)
            || self.input.sleepable
    }

    /// Checks that r1 points at `size` bytes of iterator slots on some frame's stack.
    fn iter_arg(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        def: IterDef,
        size: u32,
    ) -> Res<IterArg> {
        let v = read(st, pc, Reg::R1)?;
        let Some(Pointer {
            kind: PtrKind::Stack { frame },
            off,
            var_off,
            ..
        }) = v.as_ptr()
        else {
            let uninit = !k.has(kf::ITER_NEW);
            return Err(misuse(
                pc,
                def,
                format!(
                    "{} takes a pointer to its iterator on the stack, but r1 is {}",
                    k.name,
                    v.type_name()
                ),
                if uninit {
                    format!("expected an initialized iter_{} as arg #0", def.name)
                } else {
                    "arg#0 expected pointer to an iterator on stack".to_string()
                },
            ));
        };
        let off = match var_off.as_const() {
            Some(0) => i64::from(*off),
            _ => {
                return Err(misuse(
                    pc,
                    def,
                    format!("{} gets an iterator pointer with a variable offset", k.name),
                    String::new(),
                ))
            }
        };
        self.stack_bounds(pc, Reg::R1, off, size, true)?;
        if off % 8 != 0 {
            return Err(misuse(
                pc,
                def,
                format!("the iterator at fp{off:+} is not aligned to 8 bytes"),
                String::new(),
            ));
        }
        let first = ((-off - 1) / 8) as usize;
        let n = (size / 8).max(1) as usize;
        Ok(IterArg {
            frame: usize::from(*frame),
            slots: (0..n).map(|i| first - i).collect(),
        })
    }

    /// The initialised iterator `it` points at, or the kernel's error for one that is not:
    /// every slot must hold the same iterator, of this family.
    fn live_iter(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        k: &KfuncDef,
        def: IterDef,
        it: &IterArg,
    ) -> Res<IterSlot> {
        let f = &st.frames[it.frame];
        let first = f.slot(it.slots[0]).and_then(|s| s.iter);
        let whole = first.filter(|c| {
            c.family == def.name
                && it.slots.iter().all(|&s| {
                    f.slot(s)
                        .and_then(|s| s.iter)
                        .is_some_and(|o| o.ref_id == c.ref_id)
                })
        });
        if whole.is_some_and(|c| c.rcu_gone) {
            return Err(misuse(
                pc,
                def,
                format!("{} is given an RCU-protected iterator after the RCU read section it was created in ended", k.name),
                format!("expected an RCU CS when using {}", k.name),
            ));
        }
        whole.ok_or_else(|| {
            misuse(
                pc,
                def,
                format!("{} is given an iterator that was never initialised with bpf_iter_{}_new (or was destroyed, or overwritten)", k.name, def.name),
                format!("expected an initialized iter_{} as arg #0", def.name),
            )
        })
    }
}

/// The kernel struct behind a program type's context (`bpf_types.h`), for the packet program
/// types: `struct sk_buff` behind `__sk_buff`, `struct xdp_buff` behind `xdp_md`.
fn kern_ctx_struct(prog_type: u32) -> Option<&'static str> {
    match prog_type {
        // socket filter, tc classifier and action, cgroup skb, lwt in/out/xmit, sk_skb,
        // lwt seg6local
        1 | 3 | 4 | 8 | 10 | 11 | 12 | 14 | 19 => Some("sk_buff"),
        6 => Some("xdp_buff"),
        _ => None,
    }
}

/// The end of an RCU read section (the kernel's `rcu_unlock` handling): RCU pointers become
/// untrusted, and RCU-protected iterators unusable.
fn end_rcu_section(st: &mut AbstractState) {
    st.rcu_lock = false;
    st.for_each_reg_mut(|reg| match reg {
        // The kernel marks them `PTR_UNTRUSTED` (`untrusted_ptr_`).
        RegState::Ptr(Pointer {
            kind: PtrKind::BtfId { trust, .. },
            ..
        }) if *trust == Trust::Rcu => *trust = Trust::Marked,
        // An allocated object loaded from a kptr field: the kernel keeps it as an untrusted
        // allocated object, which bpfvet does not model; a number can only be refused more.
        RegState::Ptr(Pointer {
            kind: PtrKind::Alloc { rcu: true, .. },
            ..
        }) => *reg = RegState::unknown(),
        _ => {}
    });
    for frame in &mut st.frames {
        frame.stack.update_each(|slot| {
            if let Some(it) = slot.iter.as_mut() {
                let rcu_protected = kfuncs::by_name(&format!("bpf_iter_{}_new", it.family))
                    .is_some_and(|n| n.has(kf::RCU_PROTECTED));
                if rcu_protected {
                    it.rcu_gone = true;
                }
            }
        });
    }
}

/// The load-time refusal of a kfunc the target kernel's BTF does not name.
pub(super) fn missing_kfunc(pc: InsnIdx, name: &str) -> Box<Violation> {
    Violation::new(
        Code::HelperNotAllowed,
        pc,
        format!("the target kernel has no kernel function {name} (its BTF does not name it)"),
        format!("extern (func ksym) '{name}': not found in kernel or module BTFs"),
    )
    .with_note("libbpf refuses to load the object; check --kernel/--btf or guard the call with bpf_ksym_exists()")
}

fn misuse(pc: InsnIdx, def: IterDef, message: String, kernel: String) -> Box<Violation> {
    Violation::new(Code::HelperArgType, pc, message, kernel).with_note(format!(
        "an iterator must go bpf_iter_{0}_new, then bpf_iter_{0}_next any number of times, then bpf_iter_{0}_destroy, on every path",
        def.name
    ))
}

/// The allocated-object operation of `k`, if it is one.
fn alloc_op(k: &KfuncDef) -> Option<crate::rules::kfuncs::AllocOp> {
    match k.role {
        Role::Alloc(op) => Some(op),
        _ => None,
    }
}

pub(crate) mod alloc;
mod graph;
#[cfg(test)]
mod tests;
