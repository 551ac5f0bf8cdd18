//! Loads and stores through a pointer to an object the program allocated (`bpf_obj_new`):
//! the object is a struct of the program's own BTF, so any byte inside it may be read or
//! written, except its special fields (lock, graph roots and nodes, refcount), which only
//! their kfuncs may touch. Per-CPU objects are reached only through `bpf_this_cpu_ptr` /
//! `bpf_per_cpu_ptr`, never directly.

use super::mem::Access;
use super::{Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::verifier::domain::Scalar;
use crate::verifier::state::{Pointer, PtrKind, RegState};
use crate::verifier::violation::{Code, Violation};

impl Vm<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn alloc_access(
        &self,
        pc: InsnIdx,
        reg: Reg,
        p: &Pointer,
        access: Access,
        val: Option<&RegState>,
        off: i64,
        size: u32,
    ) -> Res<RegState> {
        let PtrKind::Alloc {
            type_id, percpu, ..
        } = p.kind
        else {
            return Err(super::internal(pc, "alloc_access on another pointer kind"));
        };
        let n = reg.num();
        if percpu {
            let tname = self
                .input
                .btf
                .map_or("", |b| b.name_of(crate::btf::TypeId(type_id)));
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                format!("{reg} points to a per-CPU object, which is reached only through bpf_this_cpu_ptr() or bpf_per_cpu_ptr()"),
                format!("R{n} is ptr_{tname} access percpu memory: off={off}"),
            ));
        }
        if !p.has_const_off() {
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                format!("{reg} points into an allocated object at a variable offset"),
                format!(
                    "R{n} is ptr_ invalid variable offset: off={}, var_off={}",
                    p.off,
                    p.var_off.kernel_off_str()
                ),
            ));
        }
        if off < 0 {
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                format!(
                    "{reg} reads or writes before the start of an allocated object (offset {off})"
                ),
                format!("R{n} is ptr_ invalid negative access: off={off}"),
            ));
        }
        let btf = self.input.btf;
        let tname = btf.map_or("", |b| b.name_of(crate::btf::TypeId(type_id)));
        let layout = self.local_layout(type_id);
        if off + i64::from(size) > i64::from(layout.size) {
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                format!("the {size}-byte access at offset {off} is past the end of struct {tname} ({} bytes)", layout.size),
                format!("access beyond struct {tname} at off {off} size {size}"),
            ));
        }
        if let Some(field) = btf.and_then(|b| layout.field_overlapping(b, off, size)) {
            return Err(Violation::new(
                Code::InvalidMemAccess,
                pc,
                format!("the access at offset {off} touches the {field} field of the object; only its kfuncs (bpf_kptr_xchg for a kptr) may"),
                format!("direct access to {field} is disallowed"),
            ));
        }
        if access == Access::Write && matches!(val, Some(RegState::Ptr(_))) {
            // bpfvet does not track pointers stored in objects: refused (the stricter answer).
            return Err(Violation::new(
                Code::PointerLeak,
                pc,
                "a pointer is stored into an allocated object, which bpfvet does not model",
                format!("R{n} leaks addr into mem"),
            ));
        }
        // "For local types, the destination register cannot become a pointer again"
        // (`btf_struct_access`): a struct pointer member reads as a number. A pointer member to
        // no struct is read-only untrusted memory from Linux 6.17 on, as in kernel objects
        // (linked_list_fail.o `ptr_walk_scalar`, whose member points to a declared-only struct:
        // "R1 type=rdonly_untrusted_mem expected=percpu_ptr_"). Only that answer of the walk
        // is taken: the layout checks above stay the ones that judge the access.
        if access == Access::Read && self.opts.kernel >= super::rdonly_cast::UNTRUSTED_MEM_SINCE {
            let walked = btf.and_then(|b| {
                crate::verifier::btf_ctx::struct_load(
                    b,
                    crate::btf::TypeId(type_id),
                    off,
                    size,
                    false,
                )
                .ok()
            });
            if walked == Some(crate::verifier::btf_ctx::Walked::NonStructPtr) {
                return Ok(RegState::ptr(PtrKind::UntrustedMem));
            }
        }
        Ok(RegState::scalar(if size <= 8 {
            Scalar::unknown_bytes(size)
        } else {
            Scalar::top()
        }))
    }
}
