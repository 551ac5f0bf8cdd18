//! Subtraction from a stack pointer (verifier_basic_stack.c `invalid_fp_arithmetic`): refused
//! even by a constant; programs add a negative number instead.

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

const SRC: &str = "r0 = 0x0
    r1 = r10
    r1 -= 0x8
    *(u64 *)(r1 + 0x0) = r0
    exit";

#[test]
fn subtracting_from_the_frame_pointer_is_rejected() {
    let res = check("socket_filter", &[], SRC);
    assert_rejected(
        &res,
        Code::PointerArithProhibited,
        "R1 subtraction from stack pointer prohibited",
    );
}

#[test]
fn adding_a_negative_number_is_accepted() {
    let src = SRC.replace("r1 -= 0x8", "r1 += -0x8");
    assert_accepted(&check("socket_filter", &[], &src));
}
