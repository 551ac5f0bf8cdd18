//! Loops the kernel lets run a bounded but unknown number of times (`verifier/loops.rs`):
//! callbacks of `bpf_loop` explored run after run, and `may_goto` loops. The first case is the
//! mechanism of `verifier_iterating_callbacks` `iter_limit_bug` (live 6.18 kernel: "div by
//! zero"), which bpfvet accepted when it explored one run of a callback and forgot what that
//! run changed: a fault reached only after two runs went unseen. The `may_goto` cases follow
//! `cond_break4` (kernel: accepted) and, for the rejection, the kernel's rule that a later
//! iteration is pruned only when an earlier one covers it (checked by hand: on the second
//! iteration r6 is the scalar 1).

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

/// `bpf_loop(2, cb, &ctx, 0)` on ctx = {7, 7} (fp-16, fp-8); the callback writes 42 to the
/// first word, and once it holds 42, to the second: both are 42 only after two runs, and then
/// the program divides by zero.
pub(super) const TWO_RUNS: &str = "r1 = 0x7
    *(u64 *)(r10 - 0x8) = r1
    *(u64 *)(r10 - 0x10) = r1
    r3 = r10
    r3 += -0x10
    w1 = 0x2
    ld_pseudo r2, 0x4, 0xa
    r4 = 0x0
    call 0xb5
    r1 = *(u64 *)(r10 - 0x10)
    if r1 != 0x2a goto +0x3
    r1 = *(u64 *)(r10 - 0x8)
    if r1 != 0x2a goto +0x1
    r1 /= 0x0
    w0 = 0x0
    exit
    r0 = 0x0
    r3 = 0x2a
    r1 = *(u64 *)(r2 + 0x0)
    if r1 == 0x2a goto +0x2
    *(u64 *)(r2 + 0x0) = r3
    exit
    *(u64 *)(r2 + 0x8) = r3
    exit";

#[test]
fn a_fault_after_the_second_callback_run_is_found() {
    assert_rejected(&check("xdp", &[], TWO_RUNS), Code::DivByZero, "div by zero");
}

#[test]
fn bpf_loop_explores_no_run_past_its_count() {
    // One run only: the second word stays 7 and the division is never reached.
    let one_run = TWO_RUNS.replace("w1 = 0x2", "w1 = 0x1");
    assert_accepted(&check("xdp", &[], &one_run));
}

#[test]
fn a_may_goto_loop_with_no_other_exit_converges() {
    let src = "w1 = *(u32 *)(r1 + 0x10)
        may_goto +0x2
        w1 += 0x1
        goto -0x3
        w0 = 0x0
        exit";
    assert_accepted(&check("xdp", &[], src));
}

#[test]
fn a_may_goto_iteration_the_earlier_one_does_not_cover_is_explored() {
    let src = "r6 = r10
        r6 += -0x8
        r7 = 0x0
        *(u64 *)(r10 - 0x8) = r7
        may_goto +0x3
        r7 = *(u64 *)(r6 + 0x0)
        r6 = 0x1
        goto -0x4
        r0 = 0x0
        exit";
    assert_rejected(
        &check("xdp", &[], src),
        Code::InvalidMemAccess,
        "R6 invalid mem access 'scalar'",
    );
}
