//! What a helper call does once its arguments passed: the return value, references acquired
//! and released, locks, packet-pointer invalidation, callbacks entered, written memory.

use super::call::{invalidate_pkt_pointers, lock_of, ARG_REGS};
use super::{Flow, Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::rules::{HelperSig, Ret};
use crate::verifier::domain::Scalar;
use crate::verifier::loops;
use crate::verifier::state::{AbstractState, HeldLock, Pointer, PtrKind, Reference, RegState};
use crate::verifier::violation::{Code, Violation};

/// What earlier arguments of a call told the later ones.
#[derive(Default)]
pub(super) struct CallCx {
    pub(super) map: Option<u32>,
    pub(super) mem: Option<(Reg, RegState, bool, bool)>,
    /// The memory argument is read and then written by the helper (`ARG_PTR_TO_MEM` without
    /// `MEM_RDONLY`): after the call its bytes are unknown.
    pub(super) mem_written: bool,
    pub(super) alloc_size: Option<u64>,
    pub(super) release: Option<u32>,
    pub(super) callback: Option<u32>,
    pub(super) callback_ctx: Option<RegState>,
    /// The key is a constant index inside an array map, so the lookup cannot fail.
    pub(super) const_array_key: bool,
    /// The dynptr a dynptr argument named.
    pub(super) dynptr: Option<super::dynptr::DynptrSeen>,
    /// The struct of the per-CPU object a per-CPU argument points to (`percpu`).
    pub(super) percpu_obj: Option<u32>,
    /// The map argument's `map_uid` (see `Pointer::map_uid`).
    pub(super) map_uid: u32,
    /// The map and `map_uid` of the value holding a timer argument, for `bpf_timer_init`'s
    /// check of its map argument.
    pub(super) timer_map: Option<(u32, u32)>,
}

impl Vm<'_> {
    pub(super) fn helper_effects(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        h: &HelperSig,
        cx: &CallCx,
    ) -> Res<Flow> {
        let _ = &self.special;
        if let Some(ref_id) = cx.release {
            if !st.refs.iter().any(|r| r.id == ref_id) {
                return Err(Violation::new(
                    Code::InvalidRelease,
                    pc,
                    format!(
                        "bpf_{} releases something that is not an acquired reference",
                        h.name
                    ),
                    "release reference id mismatch",
                ));
            }
            st.refs.retain(|r| r.id != ref_id);
            // The kernel's `mark_reg_invalid`: an unknown number for privileged programs, an
            // unreadable register otherwise (reading the stale address would leak it).
            let stale = if self.opts.privileged {
                RegState::unknown()
            } else {
                RegState::Uninit
            };
            st.for_each_reg_mut(|reg| {
                if matches!(reg, RegState::Ptr(p) if p.ref_obj_id == ref_id) {
                    *reg = stale.clone();
                }
            });
        }
        match h.name {
            "spin_lock" => {
                if st.active_lock.is_some() {
                    return Err(Violation::new(
                        Code::SpinLockMisuse,
                        pc,
                        "a second spin lock is taken while one is held",
                        "Locking two bpf_spin_locks are not allowed",
                    ));
                }
                let (map, id) = lock_of(st.reg(Reg::R1));
                st.active_lock = Some(HeldLock { at: pc, map, id });
            }
            "spin_unlock" if st.frames.iter().any(|f| f.in_rbtree_less) => {
                return Err(Violation::new(
                    Code::SpinLockMisuse,
                    pc,
                    "an rbtree's less() callback runs under the tree's lock, and may not release it",
                    "can't spin_{lock,unlock} in rbtree cb",
                ));
            }
            "spin_unlock" => {
                let Some(held) = st.active_lock.take() else {
                    return Err(Violation::new(
                        Code::SpinLockMisuse,
                        pc,
                        "unlock without a held lock",
                        "bpf_spin_unlock without taking a lock",
                    ));
                };
                if lock_of(st.reg(Reg::R1)) != (held.map, held.id) {
                    return Err(Violation::new(
                        Code::SpinLockMisuse,
                        pc,
                        format!("bpf_spin_unlock is given a different lock than the one bpf_spin_lock took at insn {}", held.at),
                        "bpf_spin_unlock of different lock",
                    ));
                }
                // A resilient lock still held was taken after this one (none may be taken
                // under a resilient lock), and locks unlock in reverse order.
                if let Some(later) = st.res_locks.last() {
                    return Err(Violation::new(
                        Code::SpinLockMisuse,
                        pc,
                        "bpf_spin_unlock releases its lock while a resilient lock taken later is still held; locks unlock in reverse order",
                        "bpf_spin_unlock cannot be out of order",
                    )
                    .with_related(later.lock.at, "the later lock, still held"));
                }
                super::kfunc::alloc::invalidate_non_owning(st);
            }
            "tail_call" if st.rcu_lock && st.refs.is_empty() => {
                return Err(Violation::new(
                    Code::HelperNotAllowed,
                    pc,
                    "a tail call inside an RCU read section would never end it",
                    "tail_call cannot be used inside bpf_rcu_read_lock-ed region",
                ));
            }
            "tail_call" if !st.refs.is_empty() => {
                return Err(Violation::new(
                    Code::ReferenceLeak,
                    pc,
                    "a tail call would leak the references held",
                    "tail_call would lead to reference leak",
                ));
            }
            _ => {}
        }
        // Writing through a packet dynptr may move the packet (the kernel treats
        // bpf_dynptr_write on an skb or xdp dynptr as a packet-changing call).
        let pkt_dynptr_write =
            h.name == "dynptr_write" && cx.dynptr.is_some_and(|d| d.kind.is_packet());
        if h.id == 12 {
            use crate::verifier::pkt_effects::{
                opaque_calls_invalidate_packet, tail_call_keeps_own_frame,
            };
            if tail_call_keeps_own_frame(self.opts.kernel) && st.frames.len() > 1 {
                // Only the callers' packet pointers go: they run again only after the program
                // the tail call started has returned into them.
                let own = st.frames.pop().expect("a state always has a frame");
                invalidate_pkt_pointers(st);
                st.frames.push(own);
            } else if !tail_call_keeps_own_frame(self.opts.kernel)
                && opaque_calls_invalidate_packet(self.opts.kernel)
            {
                invalidate_pkt_pointers(st);
            }
        } else if h.changes_pkt_data || pkt_dynptr_write {
            invalidate_pkt_pointers(st);
        }
        let ret = match h.ret {
            // The kernel treats r0 after a failed tail call as a number (its return type is
            // void, but programs read it and the kernel accepts them).
            Ret::Void if h.id == 12 => RegState::unknown(),
            Ret::Integer => match copy_size_arg(h.name) {
                // Helpers that copy at most `size` bytes return that many or an error code:
                // `[-MAX_ERRNO, umax(size)]` (the kernel's `do_refine_retval_range`).
                Some(r) => {
                    const MAX_ERRNO: i64 = 4095;
                    let max = st.reg(r).as_scalar().map_or(u64::MAX, Scalar::umax);
                    match i64::try_from(max) {
                        Ok(max) => RegState::scalar(Scalar::from_srange(-MAX_ERRNO, max)),
                        Err(_) => RegState::unknown(),
                    }
                }
                None => RegState::unknown(),
            },
            Ret::Void => RegState::Uninit,
            Ret::MapValueOrNull if cx.map.is_some_and(|m| self.map(m).inner.is_some()) => {
                // A lookup in a map of maps yields the inner map, or NULL.
                let outer = cx.map.unwrap_or(0);
                let inner = outer | super::INNER_MAP;
                let mut p = Pointer::new(PtrKind::MapPtr { map: inner });
                p.maybe_null = true;
                p.id = st.fresh_id();
                // The kernel names the inner map by this lookup when its values hold a timer or
                // work queue (`mark_ptr_or_null_reg`: the id the NULL check keeps).
                if self.map_holds_timer(inner) {
                    p.map_uid = p.id;
                }
                RegState::Ptr(p)
            }
            Ret::MapValueOrNull
                if cx.map.is_some_and(|m| {
                    crate::rules::map_lookup_yields_socket(self.map(m).map_type.0)
                }) =>
            {
                // A lookup in a sockmap or sockhash yields a referenced socket, or NULL.
                let mut p = Pointer::new(PtrKind::Socket);
                p.maybe_null = true;
                // The kernel numbers the NULL check first, then the reference, and names both
                // by the reference: its NULL check releases it (jmp::mark_null_checked).
                let _null_check = st.fresh_id();
                let ref_id = st.fresh_id();
                p.id = ref_id;
                p.ref_obj_id = ref_id;
                st.refs.push(Reference {
                    id: ref_id,
                    acquired_at: pc,
                    acquired_by: "map_lookup_elem",
                });
                RegState::Ptr(p)
            }
            Ret::MapValueOrNull
                if cx
                    .map
                    .is_some_and(|m| self.map(m).map_type.0 == crate::rules::map_type::XSKMAP) =>
            {
                // A lookup in an xskmap yields an AF_XDP socket once checked against NULL
                // (the kernel's `mark_ptr_or_null_reg`), whose fields the program only reads.
                let mut p = Pointer::new(PtrKind::XdpSock);
                p.maybe_null = true;
                p.id = st.fresh_id();
                RegState::Ptr(p)
            }
            Ret::MapValueOrNull | Ret::MapValue => {
                let map = cx.map.ok_or_else(|| {
                    super::internal(pc, "map value return without a map argument")
                })?;
                let mut p = Pointer::new(PtrKind::MapValue { map });
                p.map_uid = cx.map_uid;
                if h.ret == Ret::MapValueOrNull && !cx.const_array_key {
                    p.maybe_null = true;
                    p.id = st.fresh_id();
                } else if self.map_layout(map).has_lock() {
                    // (`map_layout` reads the map's own value type, an inner map's for a
                    // map-in-map lookup, and a global-data section's datasec.) A value that holds a lock needs an id even when it cannot be NULL: the
                    // id names the lock (HeldLock). A resilient lock too: two lookups of one
                    // element are two locks to the verifier (the kernel then finds the AA
                    // deadlock at run time, corpus/c/kfuncs/res_spin_lock_aa.bpf.c).
                    p.id = st.fresh_id();
                }
                RegState::Ptr(p)
            }
            Ret::SocketOrNull | Ret::SockCommonOrNull | Ret::TcpSockOrNull => {
                let kind = match h.ret {
                    Ret::SocketOrNull => PtrKind::Socket,
                    Ret::SockCommonOrNull => PtrKind::SockCommon,
                    _ => PtrKind::TcpSock,
                };
                let mut p = Pointer::new(kind);
                p.maybe_null = true;
                p.id = st.fresh_id();
                RegState::Ptr(p)
            }
            Ret::AllocMemOrNull => {
                let size = cx.alloc_size.unwrap_or(0).min(u64::from(u32::MAX)) as u32;
                let mut p = Pointer::new(PtrKind::Mem {
                    size,
                    rdonly: false,
                    ringbuf: true,
                });
                p.maybe_null = true;
                p.id = st.fresh_id();
                RegState::Ptr(p)
            }
            Ret::DynptrMemOrNull => {
                let Some(seen) = cx.dynptr else {
                    unreachable!("bpf_dynptr_data's first argument is its dynptr")
                };
                let size = cx.alloc_size.unwrap_or(0).min(u64::from(u32::MAX)) as u32;
                self.dynptr_data_result(st, seen, size, false)
            }
            // This CPU's (or the given CPU's) copy of a per-CPU object, never NULL as the
            // kernel types it.
            Ret::MemOrBtfId | Ret::MemOrBtfIdOrNull if cx.percpu_obj.is_some() => cx
                .percpu_obj
                .map_or(RegState::Uninit, super::percpu::percpu_copy),
            Ret::MemOrBtfId | Ret::MemOrBtfIdOrNull => {
                return Err(Violation::new(
                    Code::UnsupportedHelper,
                    pc,
                    format!("bpfvet does not model what bpf_{} returns yet", h.name),
                    "",
                ))
            }
            Ret::BtfId | Ret::BtfIdOrNull => {
                // The current task is the one object a helper hands out trusted (the kernel's
                // `RET_PTR_TO_BTF_ID_TRUSTED`), so kfuncs that need trust may take it.
                let kind = if h.name == "get_current_task_btf" {
                    PtrKind::BtfId {
                        type_id: self.kernel_struct_id("task_struct"),
                        trust: crate::verifier::state::Trust::Trusted,
                    }
                } else if let Some(ty) = h.name.strip_prefix("skc_to_") {
                    // The socket casts return the struct they name (`bpf_skc_to_tcp_sock`:
                    // `struct tcp_sock`), untrusted as the kernel's plain `PTR_TO_BTF_ID`.
                    PtrKind::btf(self.kernel_struct_id(ty))
                } else {
                    PtrKind::btf(0)
                };
                let mut p = Pointer::new(kind);
                if h.ret == Ret::BtfIdOrNull {
                    p.maybe_null = true;
                    p.id = st.fresh_id();
                }
                RegState::Ptr(p)
            }
        };
        let mut ret = ret;
        if h.acquire {
            if let RegState::Ptr(p) = &mut ret {
                let id = st.fresh_id();
                // An acquired pointer that may be NULL is named by its reference (as in the
                // kernel), so that its NULL check releases the reference and a cast's does not.
                if p.id != 0 {
                    p.id = id;
                }
                p.ref_obj_id = id;
                st.refs.push(Reference {
                    id,
                    acquired_at: pc,
                    acquired_by: h.name,
                });
            }
        }
        if h.casts {
            // The cast's result is the same object as its argument: it holds the argument's
            // reference (if any) without owning it, so its NULL check releases nothing, and
            // releasing the argument invalidates the result too.
            if let RegState::Ptr(p) = &mut ret {
                p.ref_obj_id = st.reg(Reg::R1).as_ptr().map_or(0, |a| a.ref_obj_id);
            }
        }
        let callback = cx.callback;
        let callback_ctx = cx.callback_ctx.clone();
        if let (Some(subprog), "loop") = (callback, h.name) {
            let flags_zero = st.reg(Reg::R4).as_scalar().and_then(Scalar::as_const) == Some(0);
            self.rewrites.borrow_mut().bpf_loop(pc, subprog, flags_zero);
        }
        if let Some(subprog) = callback.filter(|_| loops::iterates_callback(h.name)) {
            if !loops::callbacks_run_repeatedly(self.opts.kernel) {
                return self.run_callback_once(st, pc, h.name, subprog, cx, ret);
            }
            return self.iterate_callback(st, pc, h.name, subprog, cx, ret);
        }
        // A timer's callback gets the map, key and value the timer lives in
        // (`set_timer_callback_state`), and must return 0.
        let timer_map = match st.reg(Reg::R1).as_ptr() {
            Some(p) if h.name == "timer_set_callback" => match p.kind {
                PtrKind::MapValue { map } => Some(map),
                _ => None,
            },
            _ => None,
        };
        for r in ARG_REGS {
            st.set(r, RegState::Uninit);
        }
        st.set(Reg::R0, ret);
        if let (Some(subprog), Some(map)) = (callback, timer_map) {
            // The kernel verifies the callback as a fresh state of its own (`push_async_cb`):
            // a callback that re-arms itself is not explored again inside itself, since it
            // would start from the same registers and reach nothing of its caller's.
            if st.frames.iter().any(|f| f.subprog == subprog) {
                return Ok(Flow::Next(InsnIdx(pc.0 + 1)));
            }
            let mut run = st.clone();
            let entry = self.cfg.subprogs()[subprog as usize].start;
            run.set(Reg::R1, RegState::ptr(PtrKind::MapPtr { map }));
            run.set(Reg::R2, RegState::ptr(PtrKind::MapKey { map }));
            run.set(Reg::R3, RegState::ptr(PtrKind::MapValue { map }));
            self.enter_frame(&mut run, pc, subprog, Some((0, 0)))?;
            return Ok(Flow::Fork {
                cont: InsnIdx(pc.0 + 1),
                other: (entry, run),
            });
        }
        if let Some(subprog) = callback {
            // The helper may run the callback zero times: that path continues here. The path on
            // which it runs once enters the callback with (index, ctx) in r1 and r2.
            let mut once = st.clone();
            let entry = self.cfg.subprogs()[subprog as usize].start;
            once.set(Reg::R1, RegState::scalar(Scalar::unknown_bytes(4)));
            once.set(Reg::R2, callback_ctx.unwrap_or(RegState::scalar_const(0)));
            if h.name == "for_each_map_elem" {
                let map = cx.map.unwrap_or(0);
                once.set(Reg::R1, RegState::ptr(PtrKind::MapPtr { map }));
                once.set(Reg::R2, RegState::ptr(PtrKind::MapKey { map }));
                once.set(Reg::R3, RegState::ptr(PtrKind::MapValue { map }));
                once.set(
                    Reg::R4,
                    cx.callback_ctx.clone().unwrap_or(RegState::scalar_const(0)),
                );
            }
            self.enter_frame(&mut once, pc, subprog, Some((0, 1)))?;
            return Ok(Flow::Fork {
                cont: InsnIdx(pc.0 + 1),
                other: (entry, once),
            });
        }
        if h.id == 12
            && st.frames.len() > 1
            && st.cur().callback_ret.is_none()
            && self.opts.kernel > crate::verifier::env::KernelVersion::new(6, 12)
        {
            // A tail call from a subprogram that succeeds leaves the subprogram at once, and
            // its caller goes on with the target's r0, any number. The kernel explores that
            // path first (its log prints "returning from callee" at the call), then the one
            // on which the tail call fails and the subprogram goes on. Kernels up to 6.12
            // (measured on 6.1 and 6.12) follow only the failing path; the release between
            // 6.12 and 6.18 that added the other is not measured, so 6.13 is assumed.
            let fails = st.clone();
            let Flow::Next(back) = self.exit(st, pc)? else {
                return Err(super::internal(pc, "a subprogram exit did not return"));
            };
            return Ok(Flow::Fork {
                cont: back,
                other: (InsnIdx(pc.0 + 1), fails),
            });
        }
        Ok(Flow::Next(InsnIdx(pc.0 + 1)))
    }

    /// A helper that calls its callback synchronously, any number of times (`bpf_loop`,
    /// `bpf_for_each_map_elem`, ...), as the kernel verifies it (`push_callback_call`): this
    /// path goes on after the call (no more runs), and one more run of the callback is queued
    /// from the caller's state as it is now; the callback's `exit` comes back to this call,
    /// which then queues the next run from the state that run left. The engine prunes a run
    /// whose state an earlier run at this call covers (`loops.rs`). `bpf_loop` queues no run
    /// past its count's maximum.
    fn iterate_callback(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        helper: &str,
        subprog: u32,
        cx: &CallCx,
        ret: RegState,
    ) -> Res<Flow> {
        let runs = st.cur().callback_depth;
        let more = match helper {
            "loop" => st
                .reg(Reg::R1)
                .as_scalar()
                .map_or(true, |n| u64::from(runs) < n.umax()),
            _ => true,
        };
        let mut run = more.then(|| st.clone());
        for r in ARG_REGS {
            st.set(r, RegState::Uninit);
        }
        st.set(Reg::R0, ret);
        st.cur_mut().callback_depth = 0;
        let Some(mut run) = run.take() else {
            return Ok(Flow::Next(InsnIdx(pc.0 + 1)));
        };
        run.cur_mut().callback_depth = runs + 1;
        let entry = self.cfg.subprogs()[subprog as usize].start;
        self.enter_frame(&mut run, pc, subprog, Some((0, 1)))?;
        let callee = run.cur_mut();
        // Back to the call when it returns, and nothing of the caller's stack to forget: the
        // next run is explored from what this one left.
        callee.return_to = pc;
        callee.caller_stack_at_entry = None;
        let ctx = cx.callback_ctx.clone().unwrap_or(RegState::scalar_const(0));
        if helper == "for_each_map_elem" {
            let map = cx.map.unwrap_or(0);
            run.set(Reg::R1, RegState::ptr(PtrKind::MapPtr { map }));
            run.set(Reg::R2, RegState::ptr(PtrKind::MapKey { map }));
            run.set(Reg::R3, RegState::ptr(PtrKind::MapValue { map }));
            run.set(Reg::R4, ctx);
        } else if helper == "find_vma" {
            // (task, vma, ctx): the task passed in stays in r1, the vma the kernel found is a
            // kernel object, and the context comes from the call's r4
            // (`set_find_vma_callback_state`); nothing else is passed.
            let vma = self.kernel_struct_id("vm_area_struct");
            run.set(Reg::R2, RegState::ptr(PtrKind::btf(vma)));
            run.set(Reg::R3, ctx);
            run.set(Reg::R4, RegState::Uninit);
            run.set(Reg::R5, RegState::Uninit);
        } else {
            run.set(Reg::R1, RegState::scalar(Scalar::unknown_bytes(4)));
            run.set(Reg::R2, ctx);
        }
        Ok(Flow::Fork {
            cont: InsnIdx(pc.0 + 1),
            other: (entry, run),
        })
    }
}

impl Vm<'_> {
    /// A helper that calls its callback synchronously, as kernels before the callback fix
    /// (`loops::callbacks_run_repeatedly`) verified it: like a call of the callback, once, from
    /// the caller's state at the call; the caller goes on after the call with the helper's
    /// result in r0 and its stack as that one run left it, and there is no path on which the
    /// callback does not run.
    fn run_callback_once(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        helper: &str,
        subprog: u32,
        cx: &CallCx,
        ret: RegState,
    ) -> Res<Flow> {
        let entry = self.cfg.subprogs()[subprog as usize].start;
        self.enter_frame(st, pc, subprog, Some((0, 1)))?;
        // The caller's registers are set as they are after the call now, so that the
        // callback's exit (no caller stack to forget, back to the next instruction) leaves
        // them so.
        let caller = st.frames.len() - 2;
        for r in ARG_REGS {
            st.frames[caller].set(r, RegState::Uninit);
        }
        st.frames[caller].set(Reg::R0, ret);
        st.cur_mut().caller_stack_at_entry = None;
        let ctx = cx.callback_ctx.clone().unwrap_or(RegState::scalar_const(0));
        if helper == "for_each_map_elem" {
            let map = cx.map.unwrap_or(0);
            st.set(Reg::R1, RegState::ptr(PtrKind::MapPtr { map }));
            st.set(Reg::R2, RegState::ptr(PtrKind::MapKey { map }));
            st.set(Reg::R3, RegState::ptr(PtrKind::MapValue { map }));
            st.set(Reg::R4, ctx);
        } else if helper == "find_vma" {
            // (task, vma, ctx): the two kernel objects are left untyped, so a callback that
            // reads through them is refused (a false rejection at worst).
            st.set(Reg::R1, RegState::unknown());
            st.set(Reg::R2, RegState::unknown());
            st.set(Reg::R3, ctx);
        } else {
            st.set(Reg::R1, RegState::unknown());
            st.set(Reg::R2, ctx);
        }
        Ok(Flow::Next(entry))
    }
}

/// The size argument of the helpers whose result the kernel bounds by it (`get_stack`,
/// `get_task_stack`, the `probe_read*_str` family), if `name` is one.
fn copy_size_arg(name: &str) -> Option<Reg> {
    match name {
        "get_stack" | "get_task_stack" => Some(Reg::R3),
        "probe_read_str" | "probe_read_kernel_str" | "probe_read_user_str" => Some(Reg::R2),
        _ => None,
    }
}

impl Vm<'_> {
    /// Whether `map`'s values hold a `bpf_timer` or `bpf_wq` (the fields whose helpers check
    /// the map they are given against the value's own).
    fn map_holds_timer(&self, map: u32) -> bool {
        let def = self.map(map);
        let btf = self.input.btf;
        crate::verifier::btf_info::special_fields(
            btf,
            crate::verifier::btf_info::value_type_of(btf, def),
        )
        .iter()
        .any(|f| matches!(f.kind, "bpf_timer" | "bpf_wq"))
    }
}
