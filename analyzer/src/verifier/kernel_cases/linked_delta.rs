//! Scalars linked with a constant delta (`verifier_iterating_callbacks` `check_add_const`, the
//! kernel's `BPF_ADD_CONST`): `r1 = r0; r1 += 10` keeps r1 tied to r0, so a branch that
//! bounds r0 bounds r1 too, moved by 10. Each program is a random 16-bit r0, a copy moved by a
//! constant, a branch that bounds r0 to [0, 5], and a compare of the copy that always jumps
//! over a read above the frame when the link carried the bound. They were written as naked
//! inline assembly, compiled with clang-19 and loaded on the live 6.18 kernel and on Debian's
//! 6.12.118 (`scripts/kernel-oracle --kernel 6.12`); the verdicts asserted here are theirs:
//! 6.12 links only 64-bit additions of a constant in `[0, S32_MAX]`, the live 6.18 also
//! subtractions, negative constants and 32-bit additions; both unlink a copy moved twice or
//! copied again.

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::VerifyResult;

const K612: KernelVersion = KernelVersion::new(6, 12);
const K618: KernelVersion = KernelVersion::new(6, 18);

/// `setup` makes the copy; `check` jumps over the bad read when the copy is known bounded.
fn probe(kernel: KernelVersion, setup: &str, check: &str) -> VerifyResult {
    let src = format!(
        "call 0x7
         r0 &= 0xffff
         {setup}
         if r0 > 0x5 goto +0x2
         {check}
         r0 = *(u64 *)(r10 + 0x8)
         r0 = 0x0
         exit"
    );
    verify_socket_filter(kernel, &src)
}

/// A privileged socket filter written in assembly, verified as `kernel` would.
fn verify_socket_filter(kernel: KernelVersion, src: &str) -> VerifyResult {
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("socket_filter").expect("type");
    let opts = Options {
        kernel,
        ..Options::default()
    };
    crate::verifier::verify(&Input::bare(&insns, &[], rules, true), &opts)
}

fn reads_above_frame(res: &VerifyResult) {
    assert_rejected(
        res,
        Code::StackOutOfBounds,
        "invalid read from stack R10 off=8 size=8",
    );
}

#[test]
fn an_added_constant_moves_the_bound_on_both_releases() {
    for k in [K612, K618] {
        assert_accepted(&probe(k, "r1 = r0\n r1 += 0xa", "if r1 <= 0xf goto +0x1"));
        // Through a register that holds the constant.
        assert_accepted(&probe(
            k,
            "r1 = r0\n r2 = 0xa\n r1 += r2",
            "if r1 <= 0xf goto +0x1",
        ));
    }
}

#[test]
fn subtraction_negative_constants_and_32_bit_additions_link_from_6_18() {
    let cases = [
        ("r1 = r0\n r1 -= 0xa", "if r1 s<= -0x5 goto +0x1"),
        ("r1 = r0\n r1 += -0xa", "if r1 s<= -0x5 goto +0x1"),
        ("w1 = w0\n w1 += 0xa", "if r1 <= 0xf goto +0x1"),
        ("r1 = r0\n w1 -= 0xa", "if w1 s<= -0x5 goto +0x1"),
    ];
    for (setup, check) in cases {
        assert_accepted(&probe(K618, setup, check));
        reads_above_frame(&probe(K612, setup, check));
    }
}

#[test]
fn a_second_move_or_a_copy_of_a_moved_copy_unlinks() {
    for k in [K612, K618] {
        reads_above_frame(&probe(
            k,
            "r1 = r0\n r1 += 0x5\n r1 += 0x5",
            "if r1 <= 0xf goto +0x1",
        ));
        // `r2 = r1` gives r1 and r2 a link of their own, apart from r0.
        reads_above_frame(&probe(
            k,
            "r1 = r0\n r1 += 0xa\n r2 = r1",
            "if r2 <= 0xf goto +0x1",
        ));
        reads_above_frame(&probe(
            k,
            "r1 = r0\n r1 += 0xa\n r2 = r1",
            "if r1 <= 0xf goto +0x1",
        ));
    }
}

#[test]
fn two_copies_with_different_constants_bound_each_other() {
    // r1 = r0 + 3, r2 = r0 + 5: r1 <= 10 bounds r2 to 12.
    let src = |k| {
        let src = "call 0x7
             r0 &= 0xffff
             r1 = r0
             r2 = r0
             r1 += 0x3
             r2 += 0x5
             if r1 > 0xa goto +0x2
             if r2 <= 0xc goto +0x1
             r0 = *(u64 *)(r10 + 0x8)
             r0 = 0x0
             exit";
        verify_socket_filter(k, src)
    };
    assert_accepted(&src(K612));
    assert_accepted(&src(K618));
}

#[test]
fn a_bound_on_the_moved_copy_bounds_the_original_on_6_18() {
    // r1 = r0 + 10 <= 15 gives r0 <= 5 by subtracting 10: the live 6.18 reduces the bounds
    // after; 6.12 adds -10 to each bound on its own, loses the unsigned ones, and cannot decide
    // the unsigned compare of r0.
    let src = |k| {
        let src = "call 0x7
             r0 &= 0xffff
             r1 = r0
             r1 += 0xa
             if r1 > 0xf goto +0x2
             if r0 <= 0x5 goto +0x1
             r0 = *(u64 *)(r10 + 0x8)
             r0 = 0x0
             exit";
        verify_socket_filter(k, src)
    };
    assert_accepted(&src(K618));
    reads_above_frame(&src(K612));
}

#[test]
fn unprivileged_loads_do_not_link() {
    let src = "call 0x7
         r0 &= 0xffff
         r1 = r0
         r1 += 0xa
         if r0 > 0x5 goto +0x2
         if r1 <= 0xf goto +0x1
         r0 = *(u64 *)(r10 + 0x8)
         r0 = 0x0
         exit";
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("socket_filter").expect("type");
    let opts = Options {
        privileged: false,
        ..Options::default()
    };
    // The live 6.18 kernel, loading it unprivileged (`bpfvet kernel --unprivileged`), rejects
    // it so; privileged, it accepts.
    reads_above_frame(&crate::verifier::verify(
        &Input::bare(&insns, &[], rules, true),
        &opts,
    ));
}
