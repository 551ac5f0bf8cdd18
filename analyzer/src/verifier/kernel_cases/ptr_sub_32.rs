//! 32-bit ALU with a pointer operand (GCC's BPF backend computes `data_end - data` in 32 bits):
//! a privileged program may subtract, with the pointer on either side or on both, and gets a
//! scalar nothing is known about; any other 32-bit operation on a pointer is refused. A 32-bit
//! copy of a pointer is an unknown scalar when privileged and "partial copy of pointer"
//! otherwise (verifier_unpriv.c's unprivileged expectation). Each privileged verdict and message
//! below is the live kernel's (6.18) on the same instructions, loaded as XDP programs.

use super::{assert_accepted, assert_rejected, check};
use crate::isa::text::parse_program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::verify;
use crate::verifier::violation::Code;

#[test]
fn packet_length_in_32_bits_is_accepted() {
    let src = "w2 = *(u32 *)(r1 + 0x4)
        w0 = *(u32 *)(r1 + 0x0)
        w2 -= w0
        r0 = 0x2
        exit";
    assert_accepted(&check("xdp", &[], src));
}

#[test]
fn subtracting_in_32_bits_with_a_stack_pointer_on_either_side_is_accepted() {
    let dst = "r1 = r10
        w1 -= 0x8
        r0 = r1
        r0 &= 0x1
        exit";
    assert_accepted(&check("xdp", &[], dst));
    let src = "r0 = 0x7
        w0 -= w10
        r0 &= 0x1
        exit";
    assert_accepted(&check("xdp", &[], src));
}

#[test]
fn the_difference_is_no_pointer() {
    let src = "r1 = r10
        w1 -= 0x8
        r0 = *(u64 *)(r1 + 0x0)
        exit";
    assert_rejected(
        &check("xdp", &[], src),
        Code::InvalidMemAccess,
        "R1 invalid mem access 'scalar'",
    );
}

#[test]
fn adding_in_32_bits_to_a_pointer_is_rejected() {
    let src = "r1 = r10
        w1 += 0x8
        r0 = 0x0
        exit";
    assert_rejected(
        &check("xdp", &[], src),
        Code::Pointer32BitArith,
        "R1 32-bit pointer arithmetic prohibited",
    );
}

#[test]
fn a_32_bit_copy_of_a_pointer_is_refused_unprivileged() {
    let src = "w0 = w10
        r0 = 0x0
        exit";
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("socket_filter").expect("type");
    let opts = Options {
        privileged: false,
        ..Options::default()
    };
    let res = verify(&Input::bare(&insns, &[], rules, true), &opts);
    assert_rejected(&res, Code::PointerLeak, "R10 partial copy of pointer");
    assert_accepted(&check("socket_filter", &[], src));
}
