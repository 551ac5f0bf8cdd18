//! Mechanisms the 6.1 kernel lacked and 6.12 has, each gated by release in the verifier, with
//! the programs that tell them apart. Each program was written as naked inline assembly,
//! compiled with clang-19 and loaded on Debian's 6.1.0-57 (6.1.192) and 6.12.118 kernels with
//! `scripts/kernel-oracle --kernel 6.1|6.12 --format summary` (docs/oracle.md) and on the live
//! 6.18, which gave the verdicts and messages asserted here; the selftests that showed each
//! mechanism are named per test (their verdicts on both kernels are in
//! `snapshots/kernel/*/selftests.txt`).

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::VerifyResult;

const OLD: KernelVersion = KernelVersion::new(6, 1);
const NEW: KernelVersion = KernelVersion::new(6, 12);

fn check_at(kernel: KernelVersion, prog_type: &str, src: &str) -> VerifyResult {
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name(prog_type).expect("type");
    let opts = Options {
        kernel,
        ..Options::default()
    };
    crate::verifier::verify(&Input::bare(&insns, &[], rules, true), &opts)
}

/// A random sub-register above 15 unsigned and at most 5 signed is negative; 6.12 sees that
/// the `s< 0` compare always jumps, 6.1 (whose sub-register ranges both wrap around the sign
/// boundary, so it learns nothing from the two) follows the fall-through and its load from a
/// number (`verifier_bounds` `signed_unsigned_intersection32_case1/2`).
const SIGN_WRAP: &str = "call 0x7
    w0 &= -0x1
    if w0 < 0x10 goto +0x4
    if w0 s> 0x5 goto +0x3
    if w0 s< 0x0 goto +0x2
    r0 = *(u64 *)(r0 + 0x0)
    exit
    r0 = 0x0
    exit";

#[test]
fn before_the_2026_fix_wrapping_sub_register_ranges_are_not_intersected() {
    assert_rejected(
        &check_at(OLD, "socket_filter", SIGN_WRAP),
        Code::InvalidMemAccess,
        "R0 invalid mem access 'scalar'",
    );
    assert_accepted(&check_at(NEW, "socket_filter", SIGN_WRAP));
    // 6.9, 6.10 and 6.15 had reached their end of life when the fix came to the stable series.
    assert_eq!(
        check_at(KernelVersion::new(6, 10), "socket_filter", SIGN_WRAP).verdict,
        crate::verifier::Verdict::Reject
    );
}

/// A counter on the stack, 0 to 255, raised by 3 until it passes 32, with r0 and r1 reset to 0
/// before each turn: the registers are the same at every turn and on the first turn the
/// counter decides no branch, so 6.1's loop check (equal registers, the stack compared as for
/// pruning, against the loop's first turn) calls the loop infinite; 6.12 compares values
/// exactly (`verifier_loops1` `not_an_inifinite_loop`). From 0 to 15 instead, the first turn's
/// compare is decided, which makes the counter precise, and 6.1 loads it too.
const STACK_COUNTER: &str = "call 0x7
    r0 &= 0xff
    *(u64 *)(r10 - 0x8) = r0
    r0 = 0x0
    r1 = 0x0
    r1 = *(u64 *)(r10 - 0x8)
    if r1 > 0x20 goto +0x5
    r1 += 0x3
    *(u64 *)(r10 - 0x8) = r1
    r0 = 0x0
    r1 = 0x0
    goto -0x7
    r0 = 0x0
    exit";

#[test]
fn before_6_6_a_loop_whose_counter_is_on_the_stack_is_infinite() {
    assert_rejected(
        &check_at(OLD, "xdp", STACK_COUNTER),
        Code::InfiniteLoop,
        "infinite loop detected at insn 5",
    );
    assert_accepted(&check_at(NEW, "xdp", STACK_COUNTER));
    let decided_first = STACK_COUNTER.replace("r0 &= 0xff", "r0 &= 0xf");
    assert_accepted(&check_at(OLD, "xdp", &decided_first));
    assert_accepted(&check_at(NEW, "xdp", &decided_first));
}

#[test]
fn before_6_6_a_callback_is_verified_once() {
    // `loop_iterations::TWO_RUNS`: the fault needs two runs of the callback; 6.1 explores one
    // and goes on with the stack it left (`verifier_iterating_callbacks` `unsafe_on_zero_iter`
    // and five more that 6.1 accepts and 6.12 rejects).
    let src = super::loop_iterations::TWO_RUNS;
    assert_accepted(&check_at(OLD, "xdp", src));
    assert_rejected(&check_at(NEW, "xdp", src), Code::DivByZero, "div by zero");
}

#[test]
fn gotol_runs_on_6_1_but_not_5_15() {
    let src = "gotol +0x0
        r0 = 0x0
        exit";
    assert_accepted(&check_at(OLD, "socket_filter", src));
    assert_rejected(
        &check_at(KernelVersion::new(5, 15), "socket_filter", src),
        Code::UnsupportedInsn,
        "unknown opcode 06",
    );
}
