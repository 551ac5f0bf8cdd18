//! `bpf_kptr_xchg(dst, ptr)`: swaps the referenced pointer held in a kptr field (`__kptr`,
//! `__percpu_kptr`) of a map value or allocated object with `ptr` (an owned pointer of the
//! field's type, or NULL). The reference `ptr` held moves into the field; the old value comes
//! back owned (NULL-able): an allocated object when the field's type is the program's own
//! (a "local kptr": no struct of that name in the kernel), else a kernel object.

use super::kfunc_args::clobber_args;
use super::{read, Flow, Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::alloc_layout::{Kptr, KptrTag};
use crate::verifier::state::{AbstractState, Pointer, PtrKind, RegState, Trust};
use crate::verifier::violation::{Code, Violation};

impl Vm<'_> {
    pub(super) fn kptr_xchg(&self, st: &mut AbstractState, pc: InsnIdx) -> Res<Flow> {
        let field = self.kptr_xchg_dest(st, pc)?;
        let local = self.kernel_struct_id(&field.name) == 0;
        let v = read(st, pc, Reg::R2)?;
        let released = if v.as_scalar().and_then(|s| s.as_const()) == Some(0) {
            None
        } else {
            Some(self.kptr_xchg_value(st, pc, &field, local, &v)?)
        };
        if let Some(id) = released {
            // The reference now belongs to the field: every copy of the pointer is gone (but
            // for a per-CPU object inside an RCU read section).
            st.refs.retain(|r| r.id != id);
            let in_rcu_cs = self.in_rcu_cs(st);
            super::percpu::percpu_after_xchg(st, id, in_rcu_cs);
        }
        let ref_id = st.acquire(pc, "kptr_xchg");
        let kind = if local {
            PtrKind::Alloc {
                type_id: field.local_id,
                percpu: field.tag == KptrTag::Percpu,
                non_owning: false,
                rcu: false,
            }
        } else {
            PtrKind::BtfId {
                type_id: self.kernel_struct_id(&field.name),
                trust: Trust::Untrusted,
            }
        };
        let mut r0 = Pointer::new(kind);
        r0.id = ref_id;
        r0.ref_obj_id = ref_id;
        r0.maybe_null = true;
        clobber_args(st);
        st.set(Reg::R0, RegState::Ptr(r0));
        Ok(Flow::Next(InsnIdx(pc.0 + 1)))
    }

    /// r1: a pointer at a referenced kptr field of a map value or allocated object.
    fn kptr_xchg_dest(&self, st: &AbstractState, pc: InsnIdx) -> Res<Kptr> {
        let v = read(st, pc, Reg::R1)?;
        let bad_type = || {
            Violation::new(
                Code::HelperArgType,
                pc,
                format!(
                    "bpf_kptr_xchg takes a pointer to a kptr field of a map value or allocated object, but r1 is {}",
                    v.type_name()
                ),
                format!("R1 type={} expected=map_value", v.type_name()),
            )
        };
        let Some(p) = v.as_ptr().filter(|p| !p.maybe_null) else {
            return Err(bad_type());
        };
        let (layout, what) = match p.kind {
            PtrKind::MapValue { map } => (
                self.map_layout(map),
                format!("map '{}'", self.map(map).name),
            ),
            PtrKind::Alloc {
                type_id,
                percpu: false,
                ..
            } => (self.local_layout(type_id), "the object".to_string()),
            _ => return Err(bad_type()),
        };
        let Some(var) = p.var_off.as_const() else {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                "r1 points at a variable offset; the kptr must be named at a constant one",
                "R1 doesn't have constant offset. kptr has to be at the constant offset",
            ));
        };
        if layout.kptrs.is_empty() {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                format!("{what} has no kptr field for bpf_kptr_xchg"),
                "R1 has no valid kptr".to_string(),
            ));
        }
        let off = i64::from(p.off) + var as i64;
        let Some(field) = u32::try_from(off).ok().and_then(|o| layout.kptr_at(o)) else {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                format!("r1 points at offset {off}, where there is no kptr field"),
                format!("off={off} doesn't point to kptr"),
            ));
        };
        if field.tag_on(self.opts.kernel) == KptrTag::Untrusted {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                if field.plain {
                    format!("the kptr at offset {off} is tagged `kptr`, which before Linux 6.3 marks an unreferenced kptr (a referenced one is `kptr_ref` there), and bpf_kptr_xchg swaps only referenced ones")
                } else {
                    format!("the kptr at offset {off} is __kptr_untrusted, which bpf_kptr_xchg does not swap")
                },
                format!("off={off} kptr isn't referenced kptr"),
            ));
        }
        Ok(field.clone())
    }

    /// r2: an owned pointer of the field's type, at its start. Returns its reference.
    fn kptr_xchg_value(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        field: &Kptr,
        local: bool,
        v: &RegState,
    ) -> Res<u32> {
        let want = if local {
            PtrKind::Alloc {
                type_id: field.local_id,
                percpu: field.tag == KptrTag::Percpu,
                non_owning: false,
                rcu: false,
            }
        } else {
            PtrKind::BtfId {
                type_id: self.kernel_struct_id(&field.name),
                trust: Trust::Untrusted,
            }
        };
        let same_type = |p: &Pointer| match (p.kind, want) {
            (PtrKind::BtfId { type_id: a, .. }, PtrKind::BtfId { type_id: b, .. }) => {
                a == b && a != 0
            }
            (a, b) => a == b,
        };
        // The kernel names BTF pointers with their struct (`ptr_node_data`).
        let got = match v.as_ptr().map(|p| p.kind) {
            // An object of the other kind (per-CPU or not) is refused on its flags, before
            // the kernel looks its struct's name up.
            Some(PtrKind::Alloc { percpu, .. }) if percpu != (field.tag == KptrTag::Percpu) => {
                format!("{}ptr_", if percpu { "percpu_" } else { "" })
            }
            Some(PtrKind::Alloc {
                type_id, percpu, ..
            }) => format!(
                "{}ptr_{}",
                if percpu { "percpu_" } else { "" },
                self.input
                    .btf
                    .map_or("", |b| b.name_of(crate::btf::TypeId(type_id)))
            ),
            _ => v.type_name(),
        };
        let Some(p) = v.as_ptr().filter(|p| same_type(p)) else {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                format!(
                    "bpf_kptr_xchg stores a struct {} the program owns (or NULL) into the field, but r2 is {}",
                    field.name,
                    v.type_name()
                ),
                format!("invalid kptr access, R2 type={got} expected=ptr_{}", field.name),
            ));
        };
        if p.maybe_null {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                "r2 may be NULL: check it before bpf_kptr_xchg (or pass the constant NULL)",
                // A kernel object is matched first and then refused as NULL-able (the
                // kernel's `check_reg_type`; measured on 6.18 with an RCU kptr).
                if matches!(p.kind, PtrKind::BtfId { .. }) {
                    "Possibly NULL pointer passed to helper arg2".to_string()
                } else {
                    format!("R2 type={} expected=ptr_", v.type_name())
                },
            ));
        }
        if p.off != 0 || p.var_off.as_const() != Some(0) {
            return Err(Violation::new(
                Code::HelperArgType,
                pc,
                "r2 must point at the object's start",
                "R2 must have zero offset when passed to release func",
            ));
        }
        if p.ref_obj_id == 0 || !st.refs.iter().any(|r| r.id == p.ref_obj_id) {
            return Err(Violation::new(
                Code::InvalidRelease,
                pc,
                "bpf_kptr_xchg moves a reference into the field, but r2 holds none",
                "R2 must be referenced when passed to release function",
            ));
        }
        Ok(p.ref_obj_id)
    }
}
