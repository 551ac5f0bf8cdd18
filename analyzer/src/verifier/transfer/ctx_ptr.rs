//! Context pointers that were moved: the kernel accepts only the original pointer for
//! accesses (the constant offset goes in the instruction) and for helper arguments, and words
//! each way of moving it differently (`__check_ptr_off_reg`).

use super::Res;
use crate::isa::{InsnIdx, Reg};
use crate::verifier::state::Pointer;
use crate::verifier::violation::{Code, Violation};

/// A context pointer that was moved, as the kernel words it: a negative offset has its own
/// message (`__check_ptr_off_reg`).
pub(super) fn modified_ctx(pc: InsnIdx, reg: Reg, off: i32, message: String) -> Box<Violation> {
    let n = reg.num();
    let kernel = if off < 0 {
        format!("negative offset ctx ptr R{n} off={off} disallowed")
    } else {
        format!("dereference of modified ctx ptr R{n} off={off} disallowed")
    };
    Violation::new(Code::CtxModifiedDeref, pc, message, kernel)
}

/// A context pointer passed to a helper must be the original one, checked in the kernel's
/// order (`__check_ptr_off_reg` without a fixed offset allowed): a negative or a positive
/// constant offset, then a variable one.
pub(super) fn ctx_arg_off(
    pc: InsnIdx,
    h: &crate::rules::HelperSig,
    reg: Reg,
    p: &Pointer,
) -> Res<()> {
    if p.off != 0 {
        return Err(modified_ctx(
            pc,
            reg,
            p.off,
            format!(
                "bpf_{} needs the original context pointer, but {reg} was moved",
                h.name
            ),
        ));
    }
    if !p.has_const_off() {
        return Err(Violation::new(
            Code::CtxModifiedDeref,
            pc,
            format!(
                "bpf_{} needs the original context pointer, but {reg} was moved by a variable amount",
                h.name
            ),
            format!(
                "variable ctx access var_off={} disallowed",
                p.var_off.kernel_off_str()
            ),
        ));
    }
    Ok(())
}
