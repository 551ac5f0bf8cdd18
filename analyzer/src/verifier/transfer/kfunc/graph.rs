//! Lists and rbtrees of allocated objects (`bpf_list_push_{front,back}_impl`,
//! `bpf_list_pop_{front,back}`, `bpf_rbtree_add_impl`, `bpf_rbtree_remove`,
//! `bpf_rbtree_first`; the 6.2/6.3 names without `_impl`; the 6.16 looks `bpf_list_front`,
//! `_back`, `bpf_rbtree_root`, `_left`, `_right`).
//!
//! A root (`bpf_list_head`, `bpf_rb_root`) lives in a map value, a global-data section or an
//! allocated object, next to the `bpf_spin_lock` that guards it: every operation needs that
//! very lock held (same map or object, same pointer id). Pushing or adding an owned object
//! hands its reference to the root: the pointer becomes a *non-owning* reference, valid until
//! the lock is released. Popping or removing gives an owning reference back (NULL-able);
//! `bpf_rbtree_first` and the 6.16 looks a non-owning one. Returned node pointers point at the node field inside
//! the element struct, as the kernel's do.

use super::super::kfunc_args::{arg_err, clobber_args};
use super::super::{read, Flow, Res, Vm};
use super::alloc::ALLOC_LOCK;
use crate::isa::{InsnIdx, Reg};
use crate::rules::kfuncs::AllocOp;
use crate::verifier::alloc_layout::{GraphKind, GraphRoot};
use crate::verifier::env::KernelVersion;
use crate::verifier::kfuncs::KfuncDef;
use crate::verifier::state::{AbstractState, Pointer, PtrKind, Reference, RegState};
use crate::verifier::violation::{Code, Violation};

/// The graph kfuncs that may run while a spin lock is held (the kernel's
/// `is_bpf_graph_api_kfunc`).
pub(crate) fn allowed_under_lock(op: Option<AllocOp>) -> bool {
    matches!(
        op,
        Some(
            AllocOp::ListPush { .. }
                | AllocOp::ListPop { .. }
                | AllocOp::RbtreeAdd
                | AllocOp::RbtreeRemove
                | AllocOp::RbtreeFirst
                | AllocOp::ListPeek { .. }
                | AllocOp::RbtreeRoot
                | AllocOp::RbtreeChild { .. }
                | AllocOp::RefcountAcquire
        )
    )
}

impl Vm<'_> {
    pub(super) fn graph_kfunc(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &'static KfuncDef,
        op: AllocOp,
    ) -> Res<Flow> {
        let next = InsnIdx(pc.0 + 1);
        let kind = match op {
            AllocOp::ListPush { .. } | AllocOp::ListPop { .. } | AllocOp::ListPeek { .. } => {
                GraphKind::List
            }
            _ => GraphKind::Rbtree,
        };
        let root = self.root_arg(st, pc, k, kind)?;
        // Adding, removing and walking to a child are refused inside an rbtree's less()
        // callback (after their arguments are checked); bpf_rbtree_first and _root are not.
        if st.frames.iter().any(|f| f.in_rbtree_less)
            && matches!(
                op,
                AllocOp::RbtreeAdd | AllocOp::RbtreeRemove | AllocOp::RbtreeChild { .. }
            )
        {
            if op == AllocOp::RbtreeAdd {
                self.owned_node_arg(st, pc, k, &root)?;
            }
            return Err(Violation::new(
                Code::HelperNotAllowed,
                pc,
                format!("{} is called inside an rbtree's less() callback, which runs in the middle of an rbtree operation", k.name),
                format!("{} not allowed in rbtree cb", k.name),
            ));
        }
        match op {
            AllocOp::ListPush { .. } | AllocOp::RbtreeAdd => {
                let node = self.owned_node_arg(st, pc, k, &root)?;
                // The reference goes to the root; the program keeps a non-owning one.
                give_to_root(st, node);
                if op == AllocOp::RbtreeAdd {
                    return self.enter_less_cb(st, pc, k, &root);
                }
                clobber_args(st);
                st.set(
                    Reg::R0,
                    RegState::scalar(crate::verifier::domain::Scalar::unknown_bytes(4)),
                );
                Ok(Flow::Next(next))
            }
            AllocOp::ListPop { .. }
            | AllocOp::RbtreeRemove
            | AllocOp::RbtreeFirst
            | AllocOp::ListPeek { .. }
            | AllocOp::RbtreeRoot
            | AllocOp::RbtreeChild { .. } => {
                if matches!(op, AllocOp::RbtreeRemove | AllocOp::RbtreeChild { .. }) {
                    self.removed_node_arg(st, pc, k, &root)?;
                }
                // Looks into the graph give non-owning references, valid until the unlock;
                // pops and removals an owning one.
                let non_owning = !matches!(op, AllocOp::ListPop { .. } | AllocOp::RbtreeRemove);
                clobber_args(st);
                let mut p = Pointer::new(PtrKind::Alloc {
                    type_id: root.value_type,
                    percpu: false,
                    non_owning,
                    rcu: false,
                });
                p.off = root.node_off as i32;
                p.maybe_null = true;
                p.id = st.fresh_id();
                if !non_owning {
                    st.refs.push(Reference {
                        id: p.id,
                        acquired_at: pc,
                        acquired_by: k.name,
                    });
                    p.ref_obj_id = p.id;
                }
                st.set(Reg::R0, RegState::Ptr(p));
                Ok(Flow::Next(next))
            }
            _ => unreachable!("alloc.rs handles the others"),
        }
    }

    /// The root argument (r1): a pointer at a root of this kind, in a map value or an
    /// allocated object, whose lock is held.
    fn root_arg(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        k: &'static KfuncDef,
        kind: GraphKind,
    ) -> Res<GraphRoot> {
        let v = read(st, pc, Reg::R1)?;
        let rname = kind.root_name();
        let p = match v.as_ptr() {
            Some(p)
                if !p.maybe_null
                    && matches!(
                        p.kind,
                        PtrKind::MapValue { .. }
                            | PtrKind::Alloc {
                                percpu: false,
                                non_owning: false,
                                ..
                            }
                    ) =>
            {
                p
            }
            _ => {
                return Err(arg_err(
                    pc,
                    k,
                    format!(
                        "{} takes a {rname} in a map value or an allocated object, but r1 is {}",
                        k.name,
                        v.type_name()
                    ),
                    "arg#0 expected pointer to map value or allocated object".to_string(),
                ))
            }
        };
        if p.var_off.as_const().is_none() && matches!(p.kind, PtrKind::Alloc { .. }) {
            // An object pointer with a variable offset is refused as an argument at all.
            return Err(arg_err(
                pc,
                k,
                format!("r1 points into an allocated object at a variable offset; the {rname} must be named at a constant one"),
                format!("variable ptr_ access var_off={} disallowed", p.var_off.kernel_off_str()),
            ));
        }
        let Some(var) = p.var_off.as_const() else {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "r1 points at a variable offset; the {rname} must be named at a constant one"
                ),
                format!(
                    "R1 doesn't have constant offset. {rname} has to be at the constant offset"
                ),
            ));
        };
        let off = i64::from(p.off) + var as i64;
        let (layout, lock_map) = match p.kind {
            PtrKind::MapValue { map } => (self.map_layout(map), map),
            PtrKind::Alloc { type_id, .. } => (self.local_layout(type_id), ALLOC_LOCK),
            _ => unreachable!("matched above"),
        };
        let root = u32::try_from(off)
            .ok()
            .and_then(|o| layout.root_at(o))
            .filter(|r| r.kind == kind)
            .copied();
        let Some(root) = root else {
            return Err(arg_err(
                pc,
                k,
                format!("r1 must point at a struct {rname}, but nothing of that type is at offset {off}"),
                format!("{rname} not found at offset={off}"),
            ));
        };
        let held = st
            .active_lock
            .is_some_and(|l| l.map == lock_map && l.id == p.id);
        if !held {
            let lock_off = layout.spin_lock.unwrap_or(0);
            return Err(Violation::new(
                Code::SpinLockMisuse,
                pc,
                format!("{} touches the {rname} at offset {off} without holding the bpf_spin_lock beside it (offset {lock_off} of the same value or object)", k.name),
                format!("bpf_spin_lock at off={lock_off} must be held for {rname}"),
            ));
        }
        if root.value_type == 0 {
            return Err(arg_err(
                pc,
                k,
                format!("the {rname} at offset {off} names no element type (its contains: tag is missing or wrong)"),
                format!("{rname} not found at offset={off}"),
            ));
        }
        Ok(root)
    }

    /// The node argument (r2) of a push or add: an owned object of the root's element type,
    /// pointing at its node field. Returns its reference id.
    fn owned_node_arg(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        k: &'static KfuncDef,
        root: &GraphRoot,
    ) -> Res<u32> {
        let v = read(st, pc, Reg::R2)?;
        let nname = root.kind.node_name();
        if v.as_ptr()
            .is_some_and(|p| p.maybe_null && matches!(p.kind, PtrKind::Alloc { .. }))
        {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} is given a node that may be NULL; check it first",
                    k.name
                ),
                "Possibly NULL pointer passed to trusted arg1".to_string(),
            ));
        }
        let Some(p) = v.as_ptr().filter(|p| {
            !p.maybe_null
                && matches!(
                    p.kind,
                    PtrKind::Alloc {
                        percpu: false,
                        non_owning: false,
                        ..
                    }
                )
        }) else {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} takes an object the program owns as its node, but r2 is {}",
                    k.name,
                    v.type_name()
                ),
                "arg#1 expected pointer to allocated object".to_string(),
            ));
        };
        if p.ref_obj_id == 0 {
            return Err(arg_err(
                pc,
                k,
                format!("{} takes an object the program owns", k.name),
                "allocated object must be referenced".to_string(),
            ));
        }
        self.node_field(pc, k, p, root, nname)?;
        Ok(p.ref_obj_id)
    }

    /// The node (r2) of `bpf_rbtree_remove`, `_left` and `_right`: a non-owning reference (or,
    /// from 6.16, an owning one) at the node field.
    fn removed_node_arg(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        k: &'static KfuncDef,
        root: &GraphRoot,
    ) -> Res<()> {
        let v = read(st, pc, Reg::R2)?;
        let Some(p) = v
            .as_ptr()
            .filter(|p| matches!(p.kind, PtrKind::Alloc { percpu: false, .. }))
        else {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} takes a node of the tree, but r2 is {}",
                    k.name,
                    v.type_name()
                ),
                format!(
                    "{} can only take non-owning or refcounted bpf_rb_node pointer",
                    k.name
                ),
            ));
        };
        if p.maybe_null {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} is given a node that may be NULL; check it first",
                    k.name
                ),
                "Possibly NULL pointer passed to trusted arg1".to_string(),
            ));
        }
        let non_owning = matches!(
            p.kind,
            PtrKind::Alloc {
                non_owning: true,
                ..
            }
        );
        // A node the program owns may be given from 6.16 ("allow refcounted bpf_rb_node in
        // bpf_rbtree_remove", which tests `ref_obj_id` only: the live 6.18.44 accepts an owned
        // node of a struct without a bpf_refcount too, corpus `graph_peek`
        // `rbtree_remove_of_owned`; the call then finds no node at run time). Debian's
        // 6.12.118 refuses any owned node.
        let owned_ok = p.ref_obj_id != 0 && self.opts.kernel >= KernelVersion::new(6, 16);
        if !non_owning && !owned_ok {
            let kernel = if self.opts.kernel >= KernelVersion::new(6, 16) {
                format!(
                    "{} can only take non-owning or refcounted bpf_rb_node pointer",
                    k.name
                )
            } else {
                "rbtree_remove node input must be non-owning ref".to_string()
            };
            return Err(arg_err(
                pc,
                k,
                format!("{} takes a node the tree owns (from bpf_rbtree_first, or added under this lock), not one the program owns", k.name),
                kernel,
            ));
        }
        self.node_field(pc, k, p, root, root.kind.node_name())
    }

    /// The node pointer `p` must point at the root's node field of the root's element type.
    fn node_field(
        &self,
        pc: InsnIdx,
        k: &'static KfuncDef,
        p: &Pointer,
        root: &GraphRoot,
        nname: &str,
    ) -> Res<()> {
        let PtrKind::Alloc { type_id, .. } = p.kind else {
            return Ok(());
        };
        let Some(var) = p.var_off.as_const() else {
            return Err(arg_err(
                pc,
                k,
                format!("r2 points into the object at a variable offset; the {nname} must be named at a constant one"),
                format!("variable ptr_ access var_off={} disallowed", p.var_off.kernel_off_str()),
            ));
        };
        let off = i64::from(p.off) + var as i64;
        let layout = self.local_layout(type_id);
        let found = u32::try_from(off)
            .ok()
            .and_then(|o| layout.node_at(o))
            .is_some_and(|kd| kd == root.kind);
        if !found {
            return Err(arg_err(
                pc,
                k,
                format!("r2 must point at a struct {nname}, but nothing of that type is at offset {off}"),
                format!("{nname} not found at offset={off}"),
            ));
        }
        let btf = self.input.btf;
        let tname = |id: u32| {
            btf.map_or("", |b| b.name_of(crate::btf::TypeId(id)))
                .to_string()
        };
        if type_id != root.value_type {
            return Err(arg_err(
                pc,
                k,
                format!("the {} holds struct {}, but r2 is a struct {}", root.kind.root_name(), tname(root.value_type), tname(type_id)),
                format!(
                    "operation on {} expects arg#1 {nname} at offset={} in struct {}, but arg is at offset={off} in struct {}",
                    root.kind.root_name(),
                    root.node_off,
                    tname(root.value_type),
                    tname(type_id)
                ),
            ));
        }
        if off != i64::from(root.node_off) {
            return Err(arg_err(
                pc,
                k,
                format!("r2 points at the {nname} at offset {off}, but the root links struct {} by its node at offset {}", tname(type_id), root.node_off),
                format!("arg#1 offset={off}, but expected {nname} at offset={} in struct {}", root.node_off, tname(type_id)),
            ));
        }
        Ok(())
    }

    /// `bpf_rbtree_add_impl`'s `less(a, b)` (r3): verified as a callback that may run any
    /// number of times, with two non-owning nodes, returning 0 or 1.
    fn enter_less_cb(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &'static KfuncDef,
        root: &GraphRoot,
    ) -> Res<Flow> {
        let cb = read(st, pc, Reg::R3)?;
        let Some(PtrKind::Func { subprog }) = cb.as_ptr().map(|p| p.kind) else {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} takes the less() callback in r3, but r3 is {}",
                    k.name,
                    cb.type_name()
                ),
                format!("R3 type={} expected=func", cb.type_name()),
            ));
        };
        clobber_args(st);
        st.set(Reg::R0, RegState::unknown());
        let entry = self.cfg.subprogs()[subprog as usize].start;
        self.enter_frame(st, pc, subprog, Some((0, 1)))?;
        st.cur_mut().in_rbtree_less = true;
        for r in [Reg::R1, Reg::R2] {
            let mut node = Pointer::new(PtrKind::Alloc {
                type_id: root.value_type,
                percpu: false,
                non_owning: true,
                rcu: false,
            });
            node.off = root.node_off as i32;
            st.set(r, RegState::Ptr(node));
        }
        for r in [Reg::R3, Reg::R4, Reg::R5] {
            st.set(r, RegState::Uninit);
        }
        Ok(Flow::Next(entry))
    }
}

/// Hands the reference `ref_id` to a graph root: every pointer holding it becomes a
/// non-owning reference (the kernel's `ref_convert_owning_non_owning`, then the release).
fn give_to_root(st: &mut AbstractState, ref_id: u32) {
    st.refs.retain(|r| r.id != ref_id);
    st.for_each_reg_mut(|reg| {
        if let RegState::Ptr(p) = reg {
            if p.ref_obj_id == ref_id {
                if let PtrKind::Alloc { non_owning, .. } = &mut p.kind {
                    *non_owning = true;
                }
                p.ref_obj_id = 0;
            }
        }
    });
}
