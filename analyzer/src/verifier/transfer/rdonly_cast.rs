//! What `bpf_rdonly_cast(obj, btf_id__k)` may cast to: the kernel looks the constant up in its
//! own BTF and refuses any id that is neither a struct nor (from Linux 6.17, which made such a
//! cast read-only untrusted memory: "bpf: allow void* cast using bpf_rdonly_cast()", merged for
//! 6.17 with the `BPF_FEAT_RDONLY_CAST_TO_VOID` feature enum) `void`; a `u64`, a typedef or a pointer is refused
//! (type_cast.o's `kctx_u64`: `bpf_core_cast(ctx, u64)`).

use super::kfunc_args::arg_err;
use super::{Res, Vm};
use crate::btf::{BtfKind, TypeId};
use crate::isa::InsnIdx;
use crate::verifier::env::KernelVersion;
use crate::verifier::kfuncs::KfuncDef;

/// The release whose `bpf_rdonly_cast` also takes `void` (type id 0), and whose pointer members
/// to non-structs read as the same read-only untrusted memory.
pub(crate) const UNTRUSTED_MEM_SINCE: KernelVersion = KernelVersion::new(6, 17);

impl Vm<'_> {
    /// Refuses a cast whose target id (`want`, already known constant) names no struct in the
    /// kernel's BTF (`is_struct` is that answer). Without the kernel's BTF nothing is known,
    /// and nothing is refused here.
    pub(super) fn rdonly_cast_target(
        &self,
        pc: InsnIdx,
        k: &KfuncDef,
        want: u64,
        is_struct: bool,
    ) -> Res<()> {
        let Some(btf) = self.input.kernel_btf else {
            return Ok(());
        };
        // The kernel's test (`__btf_type_is_struct`) takes unions too (`union bpf_attr` in
        // verifier_bpf_fastcall.c's `kfunc_bpf_rdonly_cast`).
        let is_union = u32::try_from(want).is_ok_and(|w| {
            matches!(
                btf.type_by_id(TypeId(w)).map(|t| &t.kind),
                Some(BtfKind::Union { .. })
            )
        });
        if is_struct || is_union {
            return Ok(());
        }
        let void_ok = self.opts.kernel >= UNTRUSTED_MEM_SINCE;
        // Type id 0 is `void` in every BTF.
        if want == 0 && void_ok {
            return Ok(());
        }
        let (what, kernel) = if void_ok {
            ("a struct or void", "struct or void")
        } else {
            ("a struct", "struct")
        };
        Err(arg_err(
            pc,
            k,
            format!("bpf_rdonly_cast's type id (r2 = {want}) must name {what} in the kernel's BTF"),
            format!("kfunc bpf_rdonly_cast type ID argument must be of a {kernel}"),
        ))
    }
}
