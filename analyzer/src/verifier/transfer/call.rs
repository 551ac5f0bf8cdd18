//! Calls and exits: helper calls checked against the helper table, bpf-to-bpf calls with a new
//! frame, callbacks, and the checks the kernel makes at `exit`.

use super::arg_kinds::{btf_ptr_arg_ok, expect_number, sock_expected, BTF_PTR_TYPES};
use super::ctx_ptr::ctx_arg_off;
use super::helper_effects::CallCx;
use super::helper_mem::mem_arg_type;
use super::mem::Access;
use super::{read, Flow, Res, Vm};
use crate::isa::{CallTarget, InsnIdx, Reg};
use crate::rules::{Arg, HelperSig};
use crate::verifier::domain::Scalar;
use crate::verifier::env::KernelVersion;
use crate::verifier::state::{
    AbstractState, Frame, HeldLock, Pointer, PtrKind, RegState, Trust, MAX_CALL_FRAMES,
};
use crate::verifier::violation::{Code, Related, Violation};

pub(super) const ARG_REGS: [Reg; 5] = [Reg::R1, Reg::R2, Reg::R3, Reg::R4, Reg::R5];
/// Largest memory size a helper may be given (`BPF_MAX_VAR_SIZ`).
const MAX_VAR_SIZ: u64 = 1 << 29;

/// `bpf_timer_set_callback`'s helper id: its callback is the async one.
const TIMER_SET_CALLBACK: i32 = 170;

impl Vm<'_> {
    pub(super) fn call(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        target: CallTarget,
    ) -> Res<Flow> {
        match target {
            CallTarget::Helper(id) => self.helper_call(st, pc, id),
            CallTarget::Local(imm) => {
                let entry = super::jump_target(pc, i64::from(imm))?;
                let subprog = self
                    .cfg
                    .subprog_at(entry)
                    .ok_or_else(|| super::internal(pc, "call target is not a subprogram"))?;
                if st.active_lock.is_some() && self.opts.kernel < KernelVersion::new(6, 9) {
                    return Err(Violation::new(
                        Code::SpinLockMisuse,
                        pc,
                        format!(
                            "Linux {} allows no function call while a bpf_spin_lock is held (static functions from 6.9)",
                            self.opts.kernel
                        ),
                        "function calls are not allowed while holding a lock",
                    ));
                }
                if let Some(sig) = &self.globals[subprog] {
                    if st.holds_lock() {
                        // A global function is verified without the caller's lock, so it may
                        // not run while one is held (the kernel's `check_func_call`).
                        return Err(Violation::new(
                            Code::SpinLockMisuse,
                            pc,
                            format!("the global function {} is called while a bpf_spin_lock is held; only static functions may be", sig.name),
                            "global function calls are not allowed while holding a lock,\nuse static function instead",
                        ));
                    }
                    self.preempt_global_call(st, pc)?;
                    self.global_call(st, pc, subprog, sig)?;
                    if self.changes_pkt_data.get(subprog).copied().unwrap_or(true)
                        && crate::verifier::pkt_effects::opaque_calls_invalidate_packet(
                            self.opts.kernel,
                        )
                    {
                        invalidate_pkt_pointers(st);
                    }
                    return Ok(Flow::Next(InsnIdx(pc.0 + 1)));
                }
                self.enter_frame(st, pc, subprog as u32, None)?;
                Ok(Flow::Next(entry))
            }
            CallTarget::Kfunc { .. } => self.kfunc_call(st, pc),
        }
    }

    /// A call to a global function: the arguments must match its BTF prototype; the callee is
    /// verified on its own, so here it returns an unknown number.
    fn global_call(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        subprog: usize,
        sig: &crate::verifier::btf_info::GlobalSig,
    ) -> Res<()> {
        self.global_args(st, pc, sig).map_err(|mut e| {
            // The kernel's line after any argument that does not match names the callee.
            if !e.kernel_message.is_empty() {
                e.kernel_message.push_str(&format!(
                    "\nCaller passes invalid args into func#{subprog} ('{}')",
                    sig.name
                ));
            }
            e
        })?;
        for r in ARG_REGS {
            st.set(r, RegState::Uninit);
        }
        st.set(Reg::R0, RegState::unknown());
        Ok(())
    }

    /// The arguments of a call to a global function, against its BTF prototype.
    fn global_args(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        sig: &crate::verifier::btf_info::GlobalSig,
    ) -> Res<()> {
        use crate::verifier::btf_info::ParamKind;
        for (i, p) in sig.params.iter().enumerate().take(5) {
            let r = ARG_REGS[i];
            let v = read(st, pc, r)?;
            let n = r.num();
            let bad = |what: &str| {
                Violation::new(
                    Code::HelperArgType,
                    pc,
                    format!(
                        "argument {} of {} must be {what}, but {r} is {}",
                        i + 1,
                        sig.name,
                        v.type_name()
                    ),
                    format!("arg#{i} expected {what}, but R{n} is {}", v.type_name()),
                )
            };
            match p {
                ParamKind::Scalar => expect_number(&v, pc, r, i, sig.name.as_str())?,
                // Debian's 6.12.118 takes any value (measured: a stack pointer); newer kernels
                // refuse what is neither an arena pointer nor a number (the release is not
                // measured: profiles after 6.12 refuse, the safe side).
                ParamKind::Arena => {
                    let checked =
                        self.opts.kernel > crate::verifier::env::KernelVersion::new(6, 12);
                    if checked && !(v.as_scalar().is_some() || super::arena::is_arena(&v)) {
                        return Err(Violation::new(
                            Code::HelperArgType,
                            pc,
                            format!(
                                "argument {} of {} is an arena pointer (arg:arena), but {r} is {}",
                                i + 1,
                                sig.name,
                                v.type_name()
                            ),
                            format!("R{n} is not a pointer to arena or scalar."),
                        ));
                    }
                }
                ParamKind::Dynptr => {
                    let what = super::dynptr::DynptrUse::Use {
                        expect: None,
                        mutates: false,
                    };
                    self.dynptr_arg(st, pc, r, i, what, &sig.name)?;
                }
                ParamKind::Ctx => {
                    if !matches!(v.as_ptr(), Some(ptr) if ptr.kind == PtrKind::Ctx && ptr.off == 0)
                    {
                        return Err(bad("pointer to ctx"));
                    }
                }
                ParamKind::Object {
                    kernel_struct,
                    trusted,
                    nullable,
                } => self.global_object_arg(pc, &v, r, kernel_struct, *trusted, *nullable)?,
                ParamKind::Mem { size, nonnull } => {
                    if *nonnull && !matches!(&v, RegState::Ptr(p) if !p.maybe_null) {
                        return Err(bad("a pointer that is not NULL"));
                    }
                    if v.as_scalar().and_then(Scalar::as_const) != Some(0) {
                        match v.as_ptr() {
                            None => return Err(bad("pointer to memory")),
                            Some(Pointer {
                                kind: PtrKind::Stack { .. },
                                off,
                                ..
                            }) => {
                                self.stack_bounds(pc, r, i64::from(*off), *size, false)?;
                            }
                            Some(_) => {
                                self.arena_not_mem(pc, r, &v)?;
                                self.access(st, pc, r, &v, 0, *size, Access::Read, None)?;
                            }
                        }
                        // The callee may write the memory: the caller no longer knows it.
                        self.clobber_stack(st, &v, *size);
                    }
                }
                ParamKind::Unsupported(what) => {
                    return Err(Violation::new(
                        Code::UnsupportedHelper,
                        pc,
                        format!(
                        "argument {} of global function {} is {what}, which bpfvet does not model",
                        i + 1,
                        sig.name
                    ),
                        "",
                    ))
                }
            }
        }
        Ok(())
    }

    /// Pushes a frame for `subprog`: r1-r5 are passed, everything else starts uninitialized.
    pub(super) fn enter_frame(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        subprog: u32,
        callback_ret: Option<(i64, i64)>,
    ) -> Res<()> {
        if st.frames.len() >= MAX_CALL_FRAMES {
            return Err(Violation::new(
                Code::CallStackTooDeep,
                pc,
                format!(
                    "this call would nest {} frames; the kernel allows {MAX_CALL_FRAMES}",
                    st.frames.len() + 1
                ),
                format!(
                    "the call stack of {} frames is too deep !",
                    st.frames.len() + 1
                ),
            ));
        }
        let mut callee = Frame::new(subprog, InsnIdx(pc.0 + 1));
        callee.callback_ret = callback_ret;
        if callback_ret.is_some() {
            callee.caller_stack_at_entry = Some(st.cur().stack.clone());
        }
        for r in ARG_REGS {
            callee.set(r, st.reg(r).clone());
        }
        callee.set(
            Reg::FP,
            RegState::ptr(PtrKind::Stack {
                frame: st.frames.len() as u8,
            }),
        );
        st.frames.push(callee);
        Ok(())
    }

    pub(super) fn exit(&self, st: &mut AbstractState, pc: InsnIdx) -> Res<Flow> {
        let void_main = st.frames.len() == 1
            && st.frames[0].subprog == 0
            && matches!(&self.btf_ctx, Some(Ok(c)) if c.void_return);
        // A static function may return without writing r0: the caller gets r0 unwritten and
        // only a read of it there is an error (the kernel's `prepare_func_exit` copies r0 as
        // it is). Programs, global functions and callbacks must return a value.
        let static_callee = st.frames.len() > 1 && st.cur().callback_ret.is_none();
        let r0 = if void_main || static_callee {
            st.reg(Reg::R0).clone()
        } else {
            read(st, pc, Reg::R0)?
        };
        if st.frames.len() > 1
            && st.cur().callback_ret.is_none()
            && self.opts.kernel < KernelVersion::new(6, 9)
        {
            if let Some(HeldLock { at, .. }) = st.active_lock {
                // Before 6.9 every exit, a function's too, had to come after the unlock.
                return Err(Box::new(Violation {
                    code: Code::SpinLockMisuse,
                    insn: pc,
                    message: format!(
                        "the function returns holding a spin lock, which Linux {} refuses (from 6.9 the caller may unlock it)",
                        self.opts.kernel
                    ),
                    kernel_message: "bpf_spin_unlock is missing".into(),
                    notes: vec![],
                    related: vec![Related {
                        insn: at,
                        note: "locked here".into(),
                    }],
                    path: Vec::new(),
                }));
            }
        }
        if st.frames.len() > 1 {
            let callee = st.frames.pop().expect("checked above");
            if let RegState::Ptr(Pointer {
                kind: PtrKind::Stack { frame },
                ..
            }) = r0
            {
                if frame as usize >= st.frames.len() {
                    return Err(Violation::new(
                        Code::InvalidMemAccess,
                        pc,
                        "a function returns a pointer to its own stack, which dies with it",
                        "cannot return stack pointer to the caller frame",
                    ));
                }
            }
            if let Some(before) = &callee.caller_stack_at_entry {
                // One run of the callback was explored; it may run any number of times, so
                // every caller stack slot that run changed is unknown afterwards.
                let caller = st.cur_mut();
                let n = caller.stack.len().max(before.len());
                for i in 0..n {
                    let empty = super::super::state::StackSlot::default();
                    let was = before.get(i).unwrap_or(&empty).clone();
                    let slot = caller.slot_mut(i);
                    if *slot != was {
                        slot.spilled = None;
                        slot.iter = None;
                        slot.bytes = [super::super::state::StackByte::Misc; 8];
                    }
                }
            }
            let ret = match callee.callback_ret {
                Some((lo, hi)) => {
                    // A timer's callback runs later, on its own (live 6.18.44: "At async
                    // callback return the register R0 has smin=1 smax=1 ...").
                    let set_at = callee.return_to.0.checked_sub(1).map(|i| i as usize);
                    let is_async = set_at
                        .and_then(|i| self.input.insns.get(i))
                        .is_some_and(|i| {
                            matches!(
                                i,
                                crate::isa::Insn::Call(crate::isa::CallTarget::Helper(
                                    TIMER_SET_CALLBACK
                                ))
                            )
                        });
                    let what = if is_async {
                        "At async callback return"
                    } else {
                        "At callback return"
                    };
                    self.check_ret_range(pc, &r0, (lo, hi, false), what)?;
                    if callee.caller_stack_at_entry.is_none() {
                        // A run of an iterating callback (`loops.rs`): back to the call, with
                        // the caller's registers as they were there, to queue the next run.
                        return Ok(Flow::Next(callee.return_to));
                    }
                    RegState::unknown()
                }
                None => r0,
            };
            for r in ARG_REGS {
                st.set(r, RegState::Uninit);
            }
            st.set(Reg::R0, ret);
            return Ok(Flow::Next(callee.return_to));
        }
        let exception_cb = self.exception_cb.and_then(|e| self.cfg.subprog_at(e));
        if st.cur().subprog != 0 && exception_cb != Some(st.cur().subprog as usize) {
            // The exit of a global function verified on its own.
            if r0.as_scalar().is_none() {
                return Err(Violation::new(
                    Code::ReturnOutOfRange,
                    pc,
                    "a global function must return a number",
                    format!(
                        "At subprogram exit the register R0 is not a scalar value ({})",
                        r0.type_name()
                    ),
                ));
            }
        }
        // A held lock is reported before the interrupts a locking save disabled.
        super::res_lock::exit_with_res_lock(st, pc)?;
        super::irq::exit_with_irq_saved(st, pc)?;
        if let Some(rf) = st
            .refs
            .iter()
            .find(|r| r.acquired_by != super::preempt::DISABLER)
        {
            return Err(Box::new(Violation {
                code: Code::ReferenceLeak,
                insn: pc,
                message: format!("the reference acquired by {} is not released on this path", rf.acquired_by),
                kernel_message: format!(
                    "Unreleased reference id={} alloc_insn={}\nBPF_EXIT instruction in main prog would lead to reference leak",
                    rf.id, rf.acquired_at
                ),
                notes: vec![format!("release it with {} before every exit", releaser(rf.acquired_by))],
                related: vec![Related { insn: rf.acquired_at, note: format!("acquired here by {}", rf.acquired_by) }],
                path: Vec::new(),
            }));
        }
        if let Some(HeldLock { at, .. }) = st.active_lock {
            return Err(Box::new(Violation {
                code: Code::SpinLockMisuse,
                insn: pc,
                message: "the program exits while holding a spin lock".into(),
                kernel_message: "BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region".into(),
                notes: vec![],
                related: vec![Related { insn: at, note: "locked here".into() }],
                path: Vec::new(),
            }));
        }
        if st.rcu_lock {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                "the program exits inside an RCU read section; call bpf_rcu_read_unlock() first",
                "BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region",
            ));
        }
        self.preempt_left_disabled(st, pc, "BPF_EXIT instruction in main prog")?;
        if let Some((lo, hi)) = self.input.prog_type.ret_range(self.input.attach) {
            self.check_ret_range(pc, &r0, (lo, hi, false), "At program exit")?;
        }
        // An LSM hook returns an int: the kernel judges the low 32 bits (`return_32bit`).
        if let Some((lo, hi)) = self.lsm_ret_range() {
            self.check_ret_range(pc, &r0, (lo, hi, true), "At program exit")?;
        }
        if let RegState::Ptr(_) = r0 {
            if !self.opts.privileged {
                return Err(Violation::new(
                    Code::PointerLeak,
                    pc,
                    "the program returns a pointer",
                    "R0 leaks addr as return value",
                ));
            }
        }
        Ok(Flow::Done)
    }

    /// The kernel's words for a helper it offers this program no prototype for.
    fn no_helper_text(&self, name: &str, id: i32) -> String {
        if self.opts.kernel >= crate::verifier::env::KernelVersion::new(6, 10) {
            format!("program of this type cannot use helper bpf_{name}#{id}")
        } else {
            format!("unknown func bpf_{name}#{id}")
        }
    }

    fn helper_call(&self, st: &mut AbstractState, pc: InsnIdx, id: i32) -> Res<Flow> {
        let pt = self.input.prog_type;
        if id == crate::elf::POISON_HELPER_ID {
            return Err(Violation::new(
                Code::InvalidInsn,
                pc,
                "this instruction's CO-RE relocation matched nothing in the kernel's BTF, so the loader poisoned it; guard it with bpf_core_field_exists() or fix the type",
                format!("invalid func unknown#{}", crate::elf::POISON_HELPER_ID),
            ));
        }
        let Some(h) = self.input.helpers.get(id) else {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!("helper #{id} does not exist"),
                format!("invalid func unknown#{id}"),
            ));
        };
        if !pt.allows_for(h, self.input.attach, self.opts.privileged, self.opts.kernel)
            || h.since > self.opts.kernel
        {
            let why = if h.since > self.opts.kernel {
                format!(
                    "bpf_{} needs Linux {} or newer (profile: {})",
                    h.name, h.since, self.opts.kernel
                )
            } else {
                format!("{} programs may not call bpf_{}", pt.name, h.name)
            };
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                why,
                self.no_helper_text(h.name, id),
            ));
        }
        if let Some(why) = self.opts.build.withdraws(h.name) {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                why,
                self.no_helper_text(h.name, id),
            ));
        }
        if h.id == super::attach_target::D_PATH && !self.d_path_allowed() {
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!(
                    "bpf_d_path may be called only from programs attached to the kernel's allow-listed functions ({}), from iterators and LSM hooks; this one attaches to {}",
                    super::attach_target::D_PATH_TARGETS.join(", "),
                    self.input.attach_target.unwrap_or("nothing")
                ),
                "helper call is not allowed in probe",
            ));
        }
        if crate::rules::MIGHT_SLEEP.contains(&h.id) && !self.input.sleepable {
            return Err(Violation::new(
                Code::SleepableHelper,
                pc,
                format!("bpf_{} may sleep, and this program is not sleepable (use a `.s` section, e.g. SEC(\"lsm.s/...\"))", h.name),
                "helper call might sleep in a non-sleepable prog",
            ));
        }
        if crate::rules::MIGHT_SLEEP.contains(&h.id) {
            self.preempt_sleeping_call(
                st,
                pc,
                &format!("bpf_{}", h.name),
                format!(
                    "sleepable helper bpf_{}#{id} in non-preemptible region",
                    h.name
                ),
            )?;
        }
        if crate::rules::MIGHT_SLEEP.contains(&h.id) && st.rcu_lock {
            return Err(Violation::new(
                Code::SleepableHelper,
                pc,
                format!(
                    "bpf_{} may sleep, and it is called inside an RCU read section",
                    h.name
                ),
                format!(
                    "sleepable helper bpf_{}#{id} in rcu_read_lock region",
                    h.name
                ),
            ));
        }
        if h.gpl_only && !self.input.gpl {
            return Err(Violation::new(
                Code::GplOnlyHelper,
                pc,
                format!(
                    "bpf_{} is GPL-only and the program's license is not GPL-compatible",
                    h.name
                ),
                "cannot call GPL-restricted function from non-GPL compatible program",
            ));
        }
        let Some(args) = h.args else {
            return Err(Violation::new(
                Code::UnsupportedHelper,
                pc,
                format!(
                    "bpfvet does not know the signature of bpf_{}#{id} yet",
                    h.name
                ),
                "",
            ));
        };
        if st.holds_lock() && h.name != "spin_unlock" {
            return Err(Violation::new(
                Code::SpinLockMisuse,
                pc,
                format!("bpf_{} is called while a spin lock is held", h.name),
                "function calls are not allowed while holding a lock",
            ));
        }
        if h.name == "kptr_xchg" {
            return self.kptr_xchg(st, pc);
        }
        let mut cx = CallCx::default();
        for (i, arg) in args.iter().enumerate() {
            self.check_arg(st, pc, h, ARG_REGS[i], *arg, &mut cx)?;
        }
        if h.name == "snprintf" {
            self.check_snprintf(st, pc)?;
        }
        // bpf_get_local_storage cannot fail, so it has no way to report flags it does not
        // know: the kernel requires the flags argument to be the constant 0.
        if h.name == "get_local_storage"
            && st.reg(Reg::R2).as_scalar().and_then(Scalar::as_const) != Some(0)
        {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                "the flags argument of bpf_get_local_storage (r2) must be the constant 0",
                "get_local_storage() doesn't support non-zero flags",
            ));
        }
        self.helper_effects(st, pc, h, &cx)
    }

    fn check_arg(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        h: &HelperSig,
        r: Reg,
        arg: Arg,
        cx: &mut CallCx,
    ) -> Res<()> {
        let v = read(st, pc, r)?;
        let n = r.num();
        let type_err = |expected: &str| {
            Violation::new(
                Code::HelperArgType,
                pc,
                format!(
                    "argument {n} of bpf_{} must be {expected}, but {r} is {}",
                    h.name,
                    v.type_name()
                ),
                format!("R{n} type={} expected={expected}", v.type_name()),
            )
        };
        // A number of any kind is not memory; for every other argument a packet pointer needs
        // a helper that may read the packet.
        if arg != Arg::Anything
            && matches!(v.as_ptr(), Some(p) if p.kind.is_packet())
            && !h.pkt_access
            && self.input.prog_type.kernel_id != crate::rules::CGROUP_SOCKOPT_PROG_TYPE
        {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                format!("bpf_{} may not be given a pointer into the packet ({r}); copy the bytes to the stack first", h.name),
                "helper access to the packet is not allowed",
            ));
        }
        match arg {
            // An unprivileged program may not hand a helper an address as a plain number.
            Arg::Anything if v.as_ptr().is_some() && !self.opts.privileged => {
                return Err(Violation::new(
                    Code::PointerLeak,
                    pc,
                    format!(
                        "argument {n} of bpf_{} takes a number; {r} is a pointer",
                        h.name
                    ),
                    format!("R{n} leaks addr into helper function"),
                ));
            }
            Arg::Anything => {}
            Arg::MapValueOrNull => {
                if v.as_scalar().and_then(Scalar::as_const) != Some(0) {
                    let Some(map) = cx.map else {
                        return Err(super::internal(
                            pc,
                            "map value argument without a map argument",
                        ));
                    };
                    let size = self.map(map).value_size;
                    self.helper_mem(st, pc, h, r, &v, size, false, false)?;
                }
            }
            Arg::CtxOrNull => match v.as_ptr() {
                Some(p) if p.kind == PtrKind::Ctx => ctx_arg_off(pc, h, r, p)?,
                _ if v.as_scalar().and_then(Scalar::as_const) == Some(0) => {}
                _ => return Err(type_err("ctx")),
            },
            Arg::WritableMem { nullable } => {
                mem_arg_type(pc, h, r, &v, nullable, self.opts.kernel)?;
                cx.mem = Some((r, v.clone(), false, nullable));
                cx.mem_written = true;
            }
            Arg::FixedMem { size, write } => {
                self.helper_mem(st, pc, h, r, &v, size, write, false)?;
            }
            Arg::SocketOrNull => {
                let ok = v.as_scalar().and_then(Scalar::as_const) == Some(0)
                    || matches!(v.as_ptr(), Some(p) if matches!(p.kind, PtrKind::Socket | PtrKind::SockCommon | PtrKind::TcpSock));
                if !ok {
                    return Err(type_err("sock_or_null"));
                }
            }
            Arg::BtfIdOrNull => {
                if v.as_scalar().and_then(Scalar::as_const) != Some(0) && !btf_ptr_arg_ok(&v) {
                    return Err(type_err(BTF_PTR_TYPES));
                }
            }
            Arg::Dynptr { uninit } => {
                cx.dynptr = Some(self.helper_dynptr_arg(st, pc, h.name, r, uninit)?);
            }
            Arg::PercpuBtfId => cx.percpu_obj = Some(self.percpu_btf_arg(pc, h, r, &v)?),
            Arg::KptrXchgDest => {
                return Err(Violation::new(
                    Code::UnsupportedHelper,
                    pc,
                    format!(
                        "bpfvet does not model the {arg:?} argument of bpf_{} yet",
                        h.name
                    ),
                    "",
                ))
            }
            Arg::Scalar => {
                if v.as_scalar().is_none() {
                    return Err(type_err("scalar"));
                }
            }
            Arg::Map { types } => {
                // An inner map from a map-of-maps lookup must be NULL-checked first.
                let Some(Pointer {
                    kind: PtrKind::MapPtr { map },
                    maybe_null: false,
                    map_uid,
                    ..
                }) = v.as_ptr()
                else {
                    return Err(type_err("map_ptr"));
                };
                if let Some((timer_map, timer_uid)) = cx.timer_map {
                    if timer_map != *map || timer_uid != *map_uid {
                        return Err(Violation::new(
                            Code::HelperArgType,
                            pc,
                            format!("the timer in r1 lies in another map than {r} names (two lookups of a map of maps are two inner maps)"),
                            format!("timer pointer in R1 map_uid={timer_uid} doesn't match map pointer in R2 map_uid={map_uid}"),
                        ));
                    }
                }
                cx.map_uid = *map_uid;
                let m = self.map(*map);
                let helper_ok = types.is_empty() || types.contains(&m.map_type.0);
                if h.id == 12 && !helper_ok {
                    return Err(Violation::new(
                        Code::HelperMapType,
                        pc,
                        format!(
                            "bpf_tail_call needs a prog array map, but {} is a {}",
                            m.name,
                            crate::rules::map_type::name(m.map_type.0)
                        ),
                        "expected prog array map for tail call",
                    ));
                }
                if !helper_ok || !crate::rules::map_allows_helper(m.map_type.0, h.id) {
                    return Err(Violation::new(
                        Code::HelperMapType,
                        pc,
                        format!(
                            "bpf_{} cannot be used with map {} of type {}",
                            h.name,
                            m.name,
                            crate::rules::map_type::name(m.map_type.0)
                        ),
                        format!(
                            "cannot pass map_type {} into func bpf_{}#{}",
                            m.map_type.0, h.name, h.id
                        ),
                    ));
                }
                let sockmap = matches!(
                    m.map_type.0,
                    crate::rules::map_type::SOCKMAP | crate::rules::map_type::SOCKHASH
                );
                let iterator = self.input.attach == Some(crate::prog_type::AttachType::TraceIter);
                if sockmap
                    && !crate::rules::may_update_sockmap(
                        self.input.prog_type.kernel_id,
                        iterator,
                        h.id,
                    )
                {
                    return Err(Violation::new(
                        Code::HelperMapType,
                        pc,
                        format!(
                            "{} programs may not change {} with bpf_{}: they may hold a socket's lock",
                            self.input.prog_type.name, m.name, h.name
                        ),
                        format!(
                            "cannot update sockmap in this context\ncannot pass map_type {} into func bpf_{}#{}",
                            m.map_type.0, h.name, h.id
                        ),
                    ));
                }
                if h.id == 12 {
                    self.record_tail_call_map(pc, *map)?;
                }
                cx.map = Some(*map);
            }
            Arg::MapKey
                if cx.map.is_some_and(|m| {
                    crate::rules::map_lookup_never_fails(self.map(m).map_type.0)
                }) =>
            {
                let Some(map) = cx.map else { unreachable!() };
                let m = self.map(map);
                self.map_arg_kind(pc, h, r, &v)?;
                self.helper_mem(st, pc, h, r, &v, m.key_size, false, false)?;
                cx.const_array_key = m.key_size == 4
                    && self
                        .stack_const(st, &v, 4)
                        .is_some_and(|k| k < u64::from(m.max_entries));
            }
            Arg::MapKey | Arg::MapValue { .. } => {
                let Some(map) = cx.map else {
                    return Err(super::internal(
                        pc,
                        "map key argument without a map argument",
                    ));
                };
                let m = self.map(map);
                let (size, uninit) = match arg {
                    Arg::MapKey => (m.key_size, false),
                    Arg::MapValue { uninit } => (m.value_size, uninit),
                    _ => unreachable!(),
                };
                self.map_arg_kind(pc, h, r, &v)?;
                self.helper_mem(st, pc, h, r, &v, size, uninit, false)?;
            }
            Arg::Ctx => match v.as_ptr() {
                Some(p) if p.kind == PtrKind::Ctx => ctx_arg_off(pc, h, r, p)?,
                _ => return Err(type_err("ctx")),
            },
            Arg::Mem { uninit, nullable } => {
                mem_arg_type(pc, h, r, &v, nullable, self.opts.kernel)?;
                cx.mem = Some((r, v.clone(), uninit, nullable));
            }
            Arg::Size { zero_ok } => {
                let Some((mr, mv, uninit, nullable)) = cx.mem.take() else {
                    return Err(super::internal(
                        pc,
                        "size argument without a memory argument",
                    ));
                };
                let Some(s) = v.as_scalar() else {
                    return Err(type_err("scalar"));
                };
                if s.smin() < 0 {
                    return Err(Violation::new(
                        Code::HelperInvalidSize,
                        pc,
                        format!(
                            "the size passed to bpf_{} in {r} may be negative ({s})",
                            h.name
                        ),
                        format!(
                            "R{n} min value is negative, either use unsigned or 'var &= const'"
                        ),
                    ));
                }
                // A size that only may be zero is refused too: the kernel checks the lower
                // bound, and the helper would be called with 0 on some path.
                if s.umin() == 0 && !zero_ok {
                    return Err(Violation::new(
                        Code::HelperInvalidSize,
                        pc,
                        if s.umax() == 0 {
                            format!("the size passed to bpf_{} in {r} is zero", h.name)
                        } else {
                            format!("the size passed to bpf_{} in {r} may be zero ({s})", h.name)
                        },
                        format!(
                            "R{n} invalid zero-sized read: u64=[{},{}]",
                            s.umin() as i64,
                            s.umax() as i64
                        ),
                    ));
                }
                if s.umax() >= MAX_VAR_SIZ {
                    return Err(Violation::new(
                        Code::HelperInvalidSize,
                        pc,
                        format!("the size passed to bpf_{} in {r} has no upper bound ({s})", h.name),
                        format!("R{n} unbounded memory access, use 'var &= const' or 'if (var < const)'"),
                    )
                    .with_note("bound it first, e.g. `if (len > sizeof(buf)) return 0;`"));
                }
                let is_null = mv.as_scalar().and_then(Scalar::as_const) == Some(0);
                if is_null && nullable && s.umax() == 0 {
                    return Ok(());
                }
                let on_stack =
                    matches!(mv.as_ptr(), Some(p) if matches!(p.kind, PtrKind::Stack { .. }));
                if s.umax() == 0 && on_stack {
                    // Even an empty stack buffer must lie inside the frame.
                    self.helper_mem(st, pc, h, mr, &mv, 0, uninit, false)?;
                }
                if s.umax() > 0 {
                    self.helper_mem(st, pc, h, mr, &mv, s.umax() as u32, uninit, false)?;
                    if std::mem::take(&mut cx.mem_written) {
                        self.clobber_stack(st, &mv, s.umax() as u32);
                    }
                }
            }
            Arg::AllocSize => match v.as_scalar().and_then(Scalar::as_const) {
                Some(c) => cx.alloc_size = Some(c),
                None => {
                    return Err(Violation::new(
                        Code::HelperInvalidSize,
                        pc,
                        format!(
                            "the size passed to bpf_{} in {r} must be a constant",
                            h.name
                        ),
                        format!("R{n} is not a known constant'"),
                    ))
                }
            },
            // Only what bpf_ringbuf_reserve returned (`MEM_RINGBUF`): a slice of a ring buffer
            // dynptr holds the dynptr's reference but is plain `mem` (dynptr_fail.c
            // `ringbuf_invalid_api`).
            Arg::RingbufMem => match v.as_ptr() {
                Some(p)
                    if matches!(p.kind, PtrKind::Mem { ringbuf: true, .. })
                        && p.ref_obj_id != 0
                        && !p.maybe_null =>
                {
                    if p.off != 0 || !p.has_const_off() {
                        return Err(Violation::new(
                            Code::InvalidRelease,
                            pc,
                            format!("bpf_{} needs the pointer bpf_ringbuf_reserve returned, not a moved one", h.name),
                            format!("R{n} must have zero offset when passed to release func"),
                        ));
                    }
                    cx.release = Some(p.ref_obj_id);
                }
                _ => return Err(type_err("ringbuf_mem")),
            },
            Arg::Socket | Arg::SockCommon | Arg::BtfSock => match v.as_ptr() {
                Some(p)
                    if (matches!(
                        p.kind,
                        PtrKind::Socket | PtrKind::SockCommon | PtrKind::TcpSock
                    ) || (arg == Arg::BtfSock && self.is_btf_sock_common(p)))
                        && !p.maybe_null =>
                {
                    if h.release {
                        if p.ref_obj_id == 0 {
                            return Err(Violation::new(
                                Code::InvalidRelease,
                                pc,
                                format!(
                                    "bpf_{} releases {r}, a {} the program never acquired (only pointers from lookups like bpf_sk_lookup_tcp may be released)",
                                    h.name,
                                    v.type_name()
                                ),
                                format!("R{n} must be referenced when passed to release function"),
                            ));
                        }
                        cx.release = Some(p.ref_obj_id);
                    }
                }
                _ => {
                    let prog = self.input.prog_type.kernel_id;
                    return Err(type_err(sock_expected(arg, &v, prog, h.name)));
                }
            },
            Arg::Func => match v.as_ptr() {
                Some(Pointer {
                    kind: PtrKind::Func { subprog },
                    ..
                }) => cx.callback = Some(*subprog),
                _ => return Err(type_err("func")),
            },
            Arg::StackOrNull => {
                let ok = matches!(v.as_ptr().map(|p| p.kind), Some(PtrKind::Stack { .. }))
                    || v.as_scalar().and_then(Scalar::as_const) == Some(0);
                if !ok {
                    return Err(type_err("fp"));
                }
                cx.callback_ctx = Some(v.clone());
            }
            Arg::LongOut => {
                // The helper stores a long there: the kernel checks the 8 bytes are memory it
                // may write, then that they are aligned (`MEM_ALIGNED`), in that order (fp-4 is
                // "invalid write to stack R4 off=-4 size=8", not a misalignment).
                self.helper_mem(st, pc, h, r, &v, 8, true, false)?;
                if let Some(p) = v.as_ptr() {
                    if !p.kind.is_packet() {
                        let what = format!("result of bpf_{} in {r}", h.name);
                        self.strict_alignment(pc, p, 0, 8, &what)?;
                    }
                }
            }
            Arg::ConstStr => {
                let ok = matches!(v.as_ptr(), Some(Pointer { kind: PtrKind::MapValue { map }, .. }) if crate::verifier::env::map_read_only(self.map(*map)));
                if !ok {
                    return Err(type_err("map_value"));
                }
            }
            Arg::SpinLock if self.alloc_spin_lock_arg(pc, n, &v)? => {}
            Arg::SpinLock | Arg::Timer => {
                let Some(p) = v
                    .as_ptr()
                    .filter(|p| matches!(p.kind, PtrKind::MapValue { .. }) && !p.maybe_null)
                else {
                    return Err(type_err("map_value"));
                };
                let kind = if arg == Arg::SpinLock {
                    "bpf_spin_lock"
                } else {
                    "bpf_timer"
                };
                self.check_special_field_arg(pc, n, p, kind)?;
                if arg == Arg::Timer {
                    if let PtrKind::MapValue { map } = p.kind {
                        cx.timer_map = Some((map, p.map_uid));
                    }
                }
            }
            Arg::BtfId => {
                if !btf_ptr_arg_ok(&v) {
                    return Err(type_err(BTF_PTR_TYPES));
                }
            }
        }
        Ok(())
    }

    /// Forgets what `size` bytes at the stack pointer `v` held, because a callee wrote them.
    fn clobber_stack(&self, st: &mut AbstractState, v: &RegState, size: u32) {
        if let Some(Pointer {
            kind: PtrKind::Stack { frame },
            off,
            ..
        }) = v.as_ptr()
        {
            let off = i64::from(*off);
            if off >= -512 && off + i64::from(size) <= 0 {
                self.stack_mark_written(st, *frame as usize, off, size);
            }
        }
    }

    /// The constant a stack pointer points at, if the bytes there hold one.
    fn stack_const(&self, st: &AbstractState, v: &RegState, size: u32) -> Option<u64> {
        let p = v.as_ptr()?;
        let PtrKind::Stack { frame } = p.kind else {
            return None;
        };
        if !p.has_const_off() {
            return None;
        }
        let off = i64::from(p.off);
        if off < -512 || off + i64::from(size) > 0 {
            return None;
        }
        let got = self
            .stack_read(st, InsnIdx(0), frame as usize, off, size)
            .ok()?;
        got.as_scalar().and_then(Scalar::as_const)
    }

    /// `size` bytes at the pointer in `r` that a helper reads (or writes, when `uninit`).
    /// Before 6.2 a map key or value argument had to point to the stack, the packet or a
    /// map; any other memory (a global function's `PTR_TO_MEM` argument, ring buffer
    /// records) was refused. From 6.2 every memory pointer is accepted.
    fn map_arg_kind(&self, pc: InsnIdx, h: &HelperSig, r: Reg, v: &RegState) -> Res<()> {
        let Some(p) = v.as_ptr() else { return Ok(()) };
        if self.opts.kernel >= crate::verifier::env::KernelVersion::new(6, 2)
            || !matches!(p.kind, PtrKind::Mem { .. })
        {
            return Ok(());
        }
        Err(Violation::new(
            Code::HelperArgType,
            pc,
            format!(
                "Linux {} takes map keys and values for bpf_{} only from the stack, the packet or a map, and {r} points to other memory (accepted from 6.2)",
                self.opts.kernel, h.name
            ),
            format!(
                "R{} type={} expected=fp, pkt, pkt_meta, map_key, map_value",
                r.num(),
                v.type_name()
            ),
        ))
    }
}

impl Vm<'_> {
    /// A BTF pointer that `ARG_PTR_TO_BTF_ID_SOCK_COMMON` takes: a struct that is, or begins
    /// with, `struct sock_common` (`tcp_sock`, `sock`, ...: `btf_struct_ids_match`), not
    /// marked RCU-only, at offset 0 (as `bpf_skc_to_tcp_sock` returns it).
    fn is_btf_sock_common(&self, p: &Pointer) -> bool {
        let PtrKind::BtfId { type_id, trust } = p.kind else {
            return false;
        };
        let Some(b) = self.input.kernel_btf else {
            return false;
        };
        let Some(want) = b.find_by_name("sock_common", "struct") else {
            return false;
        };
        // A marked untrusted object (read through a union, say) is no socket to any helper.
        !matches!(trust, Trust::Rcu | Trust::Marked)
            && p.off == 0
            && p.has_const_off()
            && type_id != 0
            && crate::verifier::kfuncs::struct_matches(b, type_id, want.0, false)
    }
}

/// After a call that may move packet data, every packet pointer in every frame (registers and
/// spilled copies) is an unknown number: it must be rebuilt and checked again.
pub(super) fn invalidate_pkt_pointers(st: &mut AbstractState) {
    st.for_each_reg_mut(|reg| {
        if matches!(reg, RegState::Ptr(p) if matches!(p.kind, PtrKind::Packet | PtrKind::PacketMeta | PtrKind::PacketEnd)) {
            *reg = RegState::unknown();
        }
    });
    super::dynptr::invalidate_packet_slices(st);
}

/// Which lock a `bpf_spin_lock`/`unlock` argument names: the map and the value pointer's id
/// (the argument check made sure it is a map value).
pub(super) fn lock_of(arg: &RegState) -> (u32, u32) {
    match arg.as_ptr() {
        Some(Pointer {
            kind: PtrKind::MapValue { map },
            id,
            ..
        }) => (*map, *id),
        Some(Pointer {
            kind: PtrKind::Alloc { .. },
            id,
            ..
        }) => (super::kfunc::alloc::ALLOC_LOCK, *id),
        _ => (u32::MAX, 0),
    }
}

/// The call that gives back what `acquirer` handed out, named as the C source spells it.
fn releaser(acquirer: &str) -> String {
    let fixed = match acquirer {
        "ringbuf_reserve" => "bpf_ringbuf_submit() or bpf_ringbuf_discard()",
        "ringbuf_reserve_dynptr" => "bpf_ringbuf_submit_dynptr() or bpf_ringbuf_discard_dynptr()",
        "kptr_xchg" => "bpf_kptr_xchg() back into a map, or the object's release kfunc",
        "bpf_percpu_obj_new_impl" => "bpf_percpu_obj_drop()",
        "bpf_obj_new_impl"
        | "bpf_refcount_acquire_impl"
        | "bpf_list_pop_front"
        | "bpf_list_pop_back"
        | "bpf_rbtree_remove" => {
            "bpf_obj_drop(), or a push into a list or rbtree, or bpf_kptr_xchg() into a map"
        }
        _ => "",
    };
    if !fixed.is_empty() {
        return fixed.to_string();
    }
    // Open-coded iterators end with their `_destroy`; referenced kernel objects with the
    // release kfunc of their family.
    if let Some(family) = acquirer
        .strip_prefix("bpf_iter_")
        .and_then(|r| r.strip_suffix("_new"))
    {
        return format!("bpf_iter_{family}_destroy()");
    }
    for (prefix, release) in [
        ("bpf_task_", "bpf_task_release()"),
        ("bpf_cgroup_", "bpf_cgroup_release()"),
        ("bpf_cpumask_", "bpf_cpumask_release()"),
        ("bpf_xdp_ct_", "bpf_ct_release()"),
        ("bpf_skb_ct_", "bpf_ct_release()"),
    ] {
        if acquirer.starts_with(prefix) {
            return release.to_string();
        }
    }
    // Sockets from bpf_sk_lookup_*, bpf_skc_lookup_tcp and sockmap lookups.
    "bpf_sk_release()".to_string()
}
