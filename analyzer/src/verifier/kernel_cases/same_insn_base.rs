//! One store reached with the context on one path and the stack on another: the kernel
//! rewrites context accesses per instruction and refuses it (the mechanism of verifier_unpriv.c
//! `fill_of_different_pointers_*`, see also `ctx_null_compare`; this program was checked against
//! the live kernel).

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

fn store_through_either(other: &str) -> String {
    format!(
        "r2 = *(u32 *)(r1 + 0x0)
         r3 = r10
         r3 += -0x10
         r4 = r10
         r4 += -0x8
         if r2 == 0x0 goto +0x1
         r3 = {other}
         *(u32 *)(r3 + 0x8) = 0x2a
         r0 = 0x0
         exit"
    )
}

#[test]
fn a_store_through_context_and_stack_is_rejected() {
    let res = check("sched_cls", &[], &store_through_either("r1"));
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "same insn cannot be used with different pointers",
    );
}

#[test]
fn a_store_through_two_stack_pointers_is_accepted() {
    let src = store_through_either("r4").replace("r3 + 0x8", "r3 + 0x0");
    assert_accepted(&check("sched_cls", &[], &src));
}
