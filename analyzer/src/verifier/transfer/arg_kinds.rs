//! What kind of value a call argument must be, where the helper and kfunc checks share it: a
//! number, or a kernel object a helper may be given.

use super::Res;
use crate::isa::{InsnIdx, Reg};
use crate::rules::Arg;
use crate::verifier::state::{Pointer, PtrKind, RegState};
use crate::verifier::violation::{Code, Violation};

/// Checks that argument `i` (0-based) of `callee`, held in `r`, is a number, not a pointer.
pub(super) fn expect_number(v: &RegState, pc: InsnIdx, r: Reg, i: usize, callee: &str) -> Res<()> {
    if v.as_scalar().is_some() {
        return Ok(());
    }
    Err(Violation::new(
        Code::HelperArgType,
        pc,
        format!(
            "argument {} of {callee} is a number, but {r} holds a pointer",
            i + 1
        ),
        format!("R{} is not a scalar", r.num()),
    ))
}

/// The register types a helper's BTF-typed pointer argument takes, as the kernel lists them
/// (`btf_ptr_types`): a kernel object that is flagless, trusted or RCU-protected.
pub(super) const BTF_PTR_TYPES: &str = "ptr_, trusted_ptr_, rcu_ptr_";

/// The types the kernel lists when it refuses `v` as socket argument `arg` of `helper` in a
/// program of type `prog`. Tracing programs' socket storage helpers take a plain BTF pointer
/// (`bpf_sk_storage_get_tracing_proto`): the live 6.18 refused tp_btf/tcp_probe's
/// `skb->next->sk`, read through a union, with "R2 type=untrusted_ptr_ expected=ptr_,
/// trusted_ptr_, rcu_ptr_".
pub(super) fn sock_expected(arg: Arg, v: &RegState, prog: u32, helper: &str) -> &'static str {
    let marked = matches!(
        v.as_ptr().map(|p| p.kind),
        Some(PtrKind::BtfId {
            trust: crate::verifier::ptr_kind::Trust::Marked,
            ..
        })
    );
    if arg == Arg::Socket {
        "sock"
    } else if arg == Arg::BtfSock
        && marked
        && prog == 26
        && matches!(helper, "sk_storage_get" | "sk_storage_delete")
    {
        BTF_PTR_TYPES
    } else {
        "sock_common"
    }
}

/// Whether `v` may be passed as a helper's BTF-typed pointer (`ARG_PTR_TO_BTF_ID`): a kernel
/// object, not NULL-able and not marked untrusted (`PTR_UNTRUSTED`: walked where no RCU read
/// section protects it). Stack, map and other pointers are not kernel objects.
pub(super) fn btf_ptr_arg_ok(v: &RegState) -> bool {
    matches!(
        v.as_ptr(),
        Some(Pointer {
            kind: PtrKind::BtfId { trust, .. },
            maybe_null: false,
            ..
        }) if *trust != crate::verifier::ptr_kind::Trust::Marked
    )
}
