//! Allocated objects (the kernel's `PTR_TO_BTF_ID | MEM_ALLOC`): `bpf_obj_new_impl` and
//! `bpf_percpu_obj_new_impl` make an object of a *program* BTF struct and return an owning
//! reference to it (NULL-able); `bpf_obj_drop_impl` / `bpf_percpu_obj_drop_impl` free an owned
//! one; `bpf_refcount_acquire_impl` takes one more owning reference to an object whose struct
//! has a `bpf_refcount` field. Graph operations (lists, rbtrees) are in `graph.rs`.

use super::super::kfunc_args::{arg_err, clobber_args, release_ref};
use super::super::{read, Flow, Res, Vm};
use crate::btf::{BtfKind, TypeId};
use crate::isa::{InsnIdx, Reg};
use crate::rules::kfuncs::AllocOp;
use crate::verifier::alloc_layout::{self, Layout};
use crate::verifier::kfuncs::KfuncDef;
use crate::verifier::state::{AbstractState, Pointer, PtrKind, RegState};
use crate::verifier::violation::{Code, Violation};

/// The `map` a held lock names when it is the lock of an allocated object (the kernel names
/// such a lock by the program's BTF and the object's id).
pub(crate) const ALLOC_LOCK: u32 = u32::MAX - 1;

/// `bpf_percpu_obj_new`'s limit on the object's size (`BPF_GLOBAL_PERCPU_MA_MAX_SIZE`).
const PERCPU_MAX_SIZE: u64 = 512;

impl Vm<'_> {
    /// The special fields of program-BTF struct `type_id`.
    pub(in crate::verifier::transfer) fn local_layout(&self, type_id: u32) -> Layout {
        self.input
            .btf
            .map(|b| alloc_layout::struct_layout(b, TypeId(type_id)))
            .unwrap_or_default()
    }

    /// The special fields of a map's value (a global-data section's datasec for `.data`,
    /// `.bss`, `.bss.A`...).
    pub(in crate::verifier::transfer) fn map_layout(&self, map: u32) -> Layout {
        let Some(btf) = self.input.btf else {
            return Layout::default();
        };
        let def = self.map(map);
        if let Some(t) = def.value_type {
            return alloc_layout::struct_layout(btf, t);
        }
        if let crate::program::MapKind::GlobalData { section, .. } = &def.kind {
            return alloc_layout::datasec_layout(btf, section).unwrap_or_default();
        }
        Layout::default()
    }

    /// `bpf_spin_lock`/`bpf_spin_unlock` on the lock inside an allocated object: `Ok(false)`
    /// when `v` is no allocated object (the map-value rules apply).
    pub(in crate::verifier::transfer) fn alloc_spin_lock_arg(
        &self,
        pc: InsnIdx,
        n: u8,
        v: &RegState,
    ) -> Res<bool> {
        let Some(p) = v.as_ptr() else {
            return Ok(false);
        };
        let PtrKind::Alloc {
            type_id,
            percpu: false,
            ..
        } = p.kind
        else {
            return Ok(false);
        };
        if p.maybe_null {
            return Ok(false);
        }
        let Some(lock) = self.local_layout(type_id).spin_lock else {
            return Err(arg_err_plain(
                pc,
                format!("r{n} must point at a struct bpf_spin_lock, but the object has none"),
                "has no valid bpf_spin_lock".to_string(),
            ));
        };
        let at = p.var_off.as_const().map(|v| i64::from(p.off) + v as i64);
        if at != Some(i64::from(lock)) {
            let at = at.unwrap_or(-1);
            return Err(arg_err_plain(
                pc,
                format!("r{n} must point at the object's struct bpf_spin_lock, at offset {lock}, but points at offset {at}"),
                format!("off {at} doesn't point to 'struct bpf_spin_lock' that is at {lock}"),
            ));
        }
        Ok(true)
    }

    pub(super) fn alloc_kfunc(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &'static KfuncDef,
        op: AllocOp,
    ) -> Res<Flow> {
        match op {
            AllocOp::ObjNew | AllocOp::PercpuObjNew => {
                self.obj_new(st, pc, k, op == AllocOp::PercpuObjNew)
            }
            AllocOp::ObjDrop | AllocOp::PercpuObjDrop => {
                self.obj_drop(st, pc, k, op == AllocOp::PercpuObjDrop)
            }
            AllocOp::RefcountAcquire => self.refcount_acquire(st, pc, k),
            _ => self.graph_kfunc(st, pc, k, op),
        }
    }

    fn obj_new(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &'static KfuncDef,
        percpu: bool,
    ) -> Res<Flow> {
        let id = read(st, pc, Reg::R1)?;
        let Some(want) = id.as_scalar().and_then(|s| s.as_const()) else {
            return Err(arg_err(
                pc,
                k,
                format!("{}'s type id (r1) must be a constant", k.name),
                "R1 must be a known constant".to_string(),
            ));
        };
        let Ok(want) = u32::try_from(want) else {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{}'s type id (r1) {want} is not a 32-bit BTF type id",
                    k.name
                ),
                "local type ID argument must be in range [0, U32_MAX]".to_string(),
            ));
        };
        let btf = self.input.btf;
        let ty = btf.and_then(|b| b.type_by_id(TypeId(want)));
        let size = btf.and_then(|b| b.size_of(TypeId(want))).unwrap_or(0);
        if !matches!(ty.map(|t| &t.kind), Some(BtfKind::Struct { .. })) {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} allocates a struct of the program's BTF, but type id {want} is not a struct",
                    k.name
                ),
                "bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct".to_string(),
            ));
        }
        if percpu {
            if size > PERCPU_MAX_SIZE {
                return Err(arg_err(
                    pc,
                    k,
                    format!(
                        "{} allocates at most {PERCPU_MAX_SIZE} bytes, and the struct has {size}",
                        k.name
                    ),
                    format!(
                        "bpf_percpu_obj_new type size ({size}) is greater than {PERCPU_MAX_SIZE}"
                    ),
                ));
            }
            if self.local_layout(want).has_special() {
                return Err(arg_err(
                    pc,
                    k,
                    format!(
                        "{} allocates only structs of plain data, and this one has special fields",
                        k.name
                    ),
                    "bpf_percpu_obj_new type ID argument must not contain special fields"
                        .to_string(),
                ));
            }
            if !self.percpu_struct_of_scalars(want) {
                return Err(arg_err(
                    pc,
                    k,
                    format!(
                        "{} allocates only structs of integers and enums (arrays and structs of them included), and this one has another member (a pointer, say)",
                        k.name
                    ),
                    "bpf_percpu_obj_new type ID argument must be of a struct of scalars"
                        .to_string(),
                ));
            }
        }
        let ref_id = st.acquire(pc, k.name);
        let mut p = Pointer::new(PtrKind::Alloc {
            type_id: want,
            percpu,
            non_owning: false,
            rcu: false,
        });
        p.id = ref_id;
        p.ref_obj_id = ref_id;
        p.maybe_null = true;
        clobber_args(st);
        st.set(Reg::R0, RegState::Ptr(p));
        Ok(Flow::Next(InsnIdx(pc.0 + 1)))
    }

    fn obj_drop(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &'static KfuncDef,
        percpu: bool,
    ) -> Res<Flow> {
        let v = read(st, pc, Reg::R1)?;
        let p = match v.as_ptr() {
            Some(p) if matches!(p.kind, PtrKind::Alloc { percpu: pc_, non_owning: false, .. } if pc_ == percpu) => {
                p.clone()
            }
            _ => {
                let want = if percpu { "percpu_ptr_" } else { "ptr_" };
                // The kernel names the drop that would take an owned object of the other
                // kind; any other pointer is not an allocated object to it.
                let owned_other = v.as_ptr().and_then(|p| match p.kind {
                    PtrKind::Alloc {
                        percpu: other,
                        non_owning: false,
                        rcu: false,
                        ..
                    } if other != percpu => Some(other),
                    _ => None,
                });
                return Err(arg_err(
                    pc,
                    k,
                    format!(
                        "{} frees an object the program allocated{}, but r1 is {}",
                        k.name,
                        if percpu { " per CPU" } else { "" },
                        v.type_name()
                    ),
                    match owned_other {
                        Some(true) => "arg#0 expected for bpf_percpu_obj_drop_impl()".to_string(),
                        Some(false) => "arg#0 expected for bpf_obj_drop_impl()".to_string(),
                        None if v.as_ptr().is_some() => {
                            "arg#0 expected pointer to allocated object".to_string()
                        }
                        None => format!("R1 type={} expected={want}", v.type_name()),
                    },
                ));
            }
        };
        if p.maybe_null {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} is given a pointer that may be NULL; check it first",
                    k.name
                ),
                "Possibly NULL pointer passed to trusted arg0".to_string(),
            ));
        }
        if p.off != 0 || p.var_off.as_const() != Some(0) {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} must be given the object's start, but r1 points {} bytes into it",
                    k.name, p.off
                ),
                "R1 must have zero offset when passed to release func or trusted arg to kfunc"
                    .to_string(),
            ));
        }
        if p.ref_obj_id == 0 || !st.refs.iter().any(|r| r.id == p.ref_obj_id) {
            return Err(Violation::new(
                Code::InvalidRelease,
                pc,
                format!("{} frees an object this path does not own", k.name),
                format!(
                    "release kernel function {} expects refcounted PTR_TO_BTF_ID",
                    k.name
                ),
            ));
        }
        let checks_type = self.opts.kernel > crate::verifier::env::KernelVersion::new(6, 12);
        if let PtrKind::Alloc { type_id, .. } = p.kind {
            // From 6.13 (6.12 accepts, 6.18 refuses; releases between unmeasured, so the
            // stricter answer) the kernel keeps the type's metadata per call instruction: a call reached with
            // two types (a static function called for each) is refused.
            let first = *self
                .alloc_call_types
                .borrow_mut()
                .entry(pc.0)
                .or_insert(type_id);
            if checks_type && first != type_id {
                return Err(Violation::new(
                    Code::HelperArgType,
                    pc,
                    format!("this {} call frees objects of two different types on different paths; the kernel keeps one type per call instruction", k.name),
                    // The live 6.18 explains on two more lines.
                    "same call cannot be used with different types\nuse one call for each type: inline the static function that holds the call,\nor mark the callee with __attribute__((nomerge))",
                )
                .with_note("inline the static function that holds the call, or mark it __attribute__((nomerge))"));
            }
        }
        release_ref(st, p.ref_obj_id);
        clobber_args(st);
        st.set(Reg::R0, RegState::Uninit);
        Ok(Flow::Next(InsnIdx(pc.0 + 1)))
    }

    fn refcount_acquire(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        k: &'static KfuncDef,
    ) -> Res<Flow> {
        let v = read(st, pc, Reg::R1)?;
        let Some(p) = v
            .as_ptr()
            .filter(|p| matches!(p.kind, PtrKind::Alloc { percpu: false, .. }))
            .cloned()
        else {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} takes an object the program allocated, but r1 is {}",
                    k.name,
                    v.type_name()
                ),
                "arg#0 is neither owning or non-owning ref".to_string(),
            ));
        };
        if p.maybe_null {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} is given a pointer that may be NULL; check it first",
                    k.name
                ),
                "Possibly NULL pointer passed to trusted arg0".to_string(),
            ));
        }
        let PtrKind::Alloc { type_id, .. } = p.kind else {
            unreachable!("filtered above")
        };
        let layout = self.local_layout(type_id);
        if !layout.has_special() {
            // The kernel keeps no record of special fields for such a type and reports its
            // missing record as its own bug (measured on 6.18; earlier releases word it
            // "verifier internal error").
            let prefix = if self.opts.kernel >= crate::verifier::env::KernelVersion::new(6, 16) {
                "verifier bug"
            } else {
                "verifier internal error"
            };
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} needs an object whose struct has a bpf_refcount field, and this one has no special field at all",
                    k.name
                ),
                format!("{prefix}: Couldn't find btf_record"),
            ));
        }
        if layout.refcount.is_none() {
            return Err(arg_err(
                pc,
                k,
                format!(
                    "{} needs an object whose struct has a bpf_refcount field",
                    k.name
                ),
                "arg#0 doesn't point to a type with bpf_refcount field".to_string(),
            ));
        }
        if p.off != 0 || p.var_off.as_const() != Some(0) {
            return Err(arg_err(
                pc,
                k,
                format!("{} must be given the object's start", k.name),
                "R1 must have zero offset when passed to release func or trusted arg to kfunc"
                    .to_string(),
            ));
        }
        let ref_id = st.acquire(pc, k.name);
        let mut r0 = Pointer::new(PtrKind::Alloc {
            type_id,
            percpu: false,
            non_owning: false,
            rcu: false,
        });
        r0.id = ref_id;
        r0.ref_obj_id = ref_id;
        // From an owning reference the count is above zero, so the kernel's result is not
        // NULL-able; from a non-owning one the object may be on its way out.
        r0.maybe_null = p.ref_obj_id == 0
            || matches!(
                p.kind,
                PtrKind::Alloc {
                    non_owning: true,
                    ..
                }
            );
        clobber_args(st);
        st.set(Reg::R0, RegState::Ptr(r0));
        Ok(Flow::Next(InsnIdx(pc.0 + 1)))
    }
}

fn arg_err_plain(pc: InsnIdx, message: String, kernel: String) -> Box<Violation> {
    Violation::new(Code::HelperArgType, pc, message, kernel)
}

/// After `bpf_spin_unlock`: references that only the lock kept valid (non-owning references
/// into graphs) die (the kernel's `invalidate_non_owning_refs` makes them unknown numbers).
pub(crate) fn invalidate_non_owning(st: &mut AbstractState) {
    st.for_each_reg_mut(|reg| {
        if matches!(
            reg,
            RegState::Ptr(Pointer {
                kind: PtrKind::Alloc {
                    non_owning: true,
                    ..
                },
                ..
            })
        ) {
            *reg = RegState::unknown();
        }
    });
}
