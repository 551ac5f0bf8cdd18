//! Per-CPU objects the program allocates (`bpf_percpu_obj_new`), as the kernel types them:
//!
//! - `bpf_percpu_obj_new` gives an owned object (`MEM_ALLOC | MEM_PERCPU`, `percpu_ptr_`). Its
//!   struct must be at most 512 bytes, hold no special field, and be made of integers and
//!   enums only (nested structs and arrays of those included): `struct_of_scalars`.
//! - Such a pointer is never dereferenced; neither does `bpf_this_cpu_ptr` / `bpf_per_cpu_ptr`
//!   take it while it is owned. They take it as an RCU pointer (`MEM_PERCPU | MEM_RCU`,
//!   `percpu_rcu_ptr_`): loaded from a `__percpu_kptr` field inside an RCU read section, or
//!   the owned pointer that `bpf_kptr_xchg` moved into a field inside one (the kernel turns
//!   the copies into RCU pointers instead of invalidating them, `percpu_after_xchg`).
//! - What the two helpers return for it is this CPU's (or the given CPU's) copy: an RCU
//!   allocated object of the same struct (`MEM_ALLOC | MEM_RCU`), never NULL as the kernel
//!   types it (even `bpf_per_cpu_ptr`'s), readable and writable like any allocated object.

use super::{Res, Vm};
use crate::btf::{Btf, BtfKind, TypeId};
use crate::isa::{InsnIdx, Reg};
use crate::rules::HelperSig;
use crate::verifier::state::{AbstractState, Pointer, PtrKind, RegState};
use crate::verifier::violation::{Code, Violation};

/// What `bpf_this_cpu_ptr` / `bpf_per_cpu_ptr` take (the kernel's `percpu_btf_ptr_types`).
const PERCPU_ARG_TYPES: &str = "percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_";

/// How deep the kernel follows nested structs when it checks a per-CPU struct holds only
/// scalars (`__btf_type_is_scalar_struct` refuses a fourth level).
const MAX_SCALAR_STRUCT_NESTING: u32 = 3;

impl Vm<'_> {
    /// The per-CPU argument of `bpf_this_cpu_ptr` / `bpf_per_cpu_ptr` in `r`: for an RCU
    /// pointer to a per-CPU object, the object's struct (in the program's BTF).
    pub(super) fn percpu_btf_arg(
        &self,
        pc: InsnIdx,
        h: &HelperSig,
        r: Reg,
        v: &RegState,
    ) -> Res<u32> {
        let n = r.num();
        let p = match v.as_ptr() {
            Some(p) if matches!(p.kind, PtrKind::BtfId { .. }) => {
                // A per-CPU kernel variable (a `__ksym` in `.data..percpu`): not modelled.
                return Err(Violation::new(
                    Code::UnsupportedHelper,
                    pc,
                    format!(
                        "bpfvet does not model per-CPU kernel variables passed to bpf_{} yet",
                        h.name
                    ),
                    "",
                ));
            }
            Some(p) => p,
            None => return Err(percpu_type_err(pc, h, r, v)),
        };
        let PtrKind::Alloc {
            type_id,
            percpu: true,
            rcu: true,
            ..
        } = p.kind
        else {
            return Err(percpu_type_err(pc, h, r, v));
        };
        if p.maybe_null {
            return Err(percpu_type_err(pc, h, r, v));
        }
        if p.off != 0 || p.var_off.as_const() != Some(0) {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                format!("{r} must point at the per-CPU object's start"),
                format!(
                    "dereference of modified {} ptr R{n} off={} disallowed",
                    v.type_name(),
                    p.off
                ),
            ));
        }
        Ok(type_id)
    }

    /// Whether `type_id` of the program's BTF is a struct the kernel lets
    /// `bpf_percpu_obj_new` allocate as far as its members go: integers and enums only.
    pub(super) fn percpu_struct_of_scalars(&self, type_id: u32) -> bool {
        self.input
            .btf
            .is_some_and(|b| struct_of_scalars(b, TypeId(type_id), 0))
    }
}

/// This CPU's copy of a per-CPU object of struct `type_id`: what the helpers return.
pub(super) fn percpu_copy(type_id: u32) -> RegState {
    RegState::Ptr(Pointer::new(PtrKind::Alloc {
        type_id,
        percpu: false,
        non_owning: true,
        rcu: true,
    }))
}

/// `bpf_kptr_xchg` moved the reference `ref_id` into a field: every copy of the pointer dies
/// (an unknown number), except that inside an RCU read section copies of a per-CPU object
/// stay usable as RCU pointers (freed only after a grace period).
pub(super) fn percpu_after_xchg(st: &mut AbstractState, ref_id: u32, in_rcu_cs: bool) {
    st.for_each_reg_mut(|reg| {
        let RegState::Ptr(p) = reg else {
            return;
        };
        if p.ref_obj_id != ref_id {
            return;
        }
        match p.kind {
            PtrKind::Alloc {
                type_id,
                percpu: true,
                non_owning: false,
                ..
            } if in_rcu_cs => {
                p.kind = PtrKind::Alloc {
                    type_id,
                    percpu: true,
                    non_owning: true,
                    rcu: true,
                };
                p.ref_obj_id = 0;
            }
            _ => *reg = RegState::unknown(),
        }
    });
}

fn percpu_type_err(pc: InsnIdx, h: &HelperSig, r: Reg, v: &RegState) -> Box<Violation> {
    let n = r.num();
    let why = match v.as_ptr().map(|p| p.kind) {
        Some(PtrKind::Alloc { percpu: true, rcu: false, .. }) => "; an owned per-CPU object is reached only once it sits in a __percpu_kptr field: bpf_kptr_xchg it in inside an RCU read section (or load the field there)"
            .to_string(),
        _ => String::new(),
    };
    Violation::new(
        Code::HelperArgType,
        pc,
        format!(
            "argument {n} of bpf_{} must be {PERCPU_ARG_TYPES}, but {r} is {}{why}",
            h.name,
            v.type_name()
        ),
        format!("R{n} type={} expected={PERCPU_ARG_TYPES}", v.type_name()),
    )
}

/// The kernel's `__btf_type_is_scalar_struct`: every member an integer or enum, an array of
/// those (not empty), or a struct (or union) of the same kind at most three levels down.
fn struct_of_scalars(btf: &Btf, id: TypeId, depth: u32) -> bool {
    let Some(t) = btf.resolve_type(id) else {
        return false;
    };
    let members = match &t.kind {
        BtfKind::Struct { members, .. } | BtfKind::Union { members, .. } => members,
        _ => return false,
    };
    members.iter().all(|m| {
        let Some(mt) = btf.resolve_type(m.ty) else {
            return false;
        };
        match &mt.kind {
            BtfKind::Struct { .. } | BtfKind::Union { .. } => {
                depth < MAX_SCALAR_STRUCT_NESTING && struct_of_scalars(btf, m.ty, depth + 1)
            }
            BtfKind::Array { elem, nelems, .. } => {
                *nelems != 0
                    && btf.resolve_type(*elem).is_some_and(|e| {
                        matches!(e.kind, BtfKind::Int { .. } | BtfKind::Enum { .. })
                    })
            }
            BtfKind::Int { .. } | BtfKind::Enum { .. } => true,
            _ => false,
        }
    })
}
