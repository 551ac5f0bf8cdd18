//! The second verdict: safe loops the budget cuts short are proved with their bound; loops
//! that may not end, or whose later turns are unsafe, are not. The live kernel (6.18) refuses
//! every program here but the last with "BPF program is too large. Processed 1000001 insn"
//! (assembled with `llvm-mc -triple bpf` from the same text, loaded with `bpfvet kernel` as XDP
//! programs), and accepts the last; the exception is noted at its test. The tests run with a
//! budget of 20,000 so that they stay fast, which changes no verdict (each program needs
//! millions of instructions to unroll).

use crate::isa::text::parse_program;
use crate::isa::{Insn, InsnIdx, Reg};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::loop_proof::LoopBound;
use crate::verifier::violation::Code;
use crate::verifier::{verify, Verdict, VerifyResult};

fn check(src: &str) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("xdp").expect("program type");
    let opts = Options {
        max_processed: 20_000,
        ..Options::default()
    };
    verify(&Input::bare(&insns, &[], rules, true), &opts)
}

#[track_caller]
fn too_complex(res: &VerifyResult) {
    assert_eq!(res.verdict, Verdict::Reject);
    let codes: Vec<Code> = res.violations.iter().map(|v| v.code).collect();
    assert_eq!(codes, [Code::ProgramTooComplex]);
}

/// `corpus/c/reject/limits/insn_limit.bpf.c`: 2^28 turns of a counted loop.
#[test]
fn a_counted_loop_is_safe_with_its_bound() {
    let res = check(
        "r6 = 0x0
        r6 += 0x1
        if r6 < 0x10000000 goto -0x2
        r0 = 0x2
        exit",
    );
    too_complex(&res);
    let own = res.own.expect("proved safe");
    assert_eq!(
        own.loops,
        [LoopBound {
            head: InsnIdx(1),
            counter: Reg::R6,
            lo: 0,
            hi: 0xfff_ffff,
            step: 1,
            increasing: true,
            max_turns: 1 << 28,
        }]
    );
}

/// Counting down to zero: the counter is at least 1 at the head, so the step never wraps.
#[test]
fn a_loop_counting_down_is_safe() {
    let res = check(
        "r6 = 0x10000000
        r6 += -0x1
        if r6 != 0x0 goto -0x2
        r0 = 0x2
        exit",
    );
    too_complex(&res);
    let own = res.own.expect("proved safe");
    assert_eq!(own.loops.len(), 1);
    let l = &own.loops[0];
    assert_eq!((l.counter, l.increasing, l.lo), (Reg::R6, false, 1));
}

/// r7 steps every turn but nothing tests it, and the test on r6 never changes: the loop never
/// ends. r7 wraps around, so it bounds nothing.
#[test]
fn a_loop_that_never_ends_is_not_proved() {
    let res = check(
        "r6 = 0x0
        r7 = 0x0
        r7 += 0x1
        if r6 < 0xa goto -0x2
        r0 = 0x2
        exit",
    );
    too_complex(&res);
    assert_eq!(res.own, None);
}

/// The counter r6 steps only on turns where r8 (a random number) is odd: a run of even
/// numbers turns forever, so there is no bound. (r7 counts every turn, so that no turn repeats
/// another's state, but nothing tests it and it wraps around.) The kernel gives up here on
/// "The sequence of 8193 jumps is too complex." (a branch pending from every turn) before its
/// instruction budget; with the tests' budget the instruction budget comes first, which is the
/// case under test.
#[test]
fn a_counter_some_turns_skip_bounds_nothing() {
    let res = check(
        "r6 = 0x0
        r7 = 0x0
        call 0x7
        r7 += 0x1
        r8 = r0
        r8 &= 0x1
        if r8 == 0x0 goto +0x1
        r6 += 0x1
        if r6 < 0x10000000 goto -0x8
        r0 = 0x2
        exit",
    );
    too_complex(&res);
    assert_eq!(res.own, None);
}

/// A counter the body also sets otherwise (here back to 0 once it passes a mark) is not one.
#[test]
fn a_counter_written_otherwise_bounds_nothing() {
    let res = check(
        "r6 = 0x0
        r6 += 0x1
        if r6 != 0x8000000 goto +0x1
        r6 = 0x0
        if r6 < 0x10000000 goto -0x4
        r0 = 0x2
        exit",
    );
    too_complex(&res);
    assert_eq!(res.own, None);
}

/// Safe for 2^27 turns, then a NULL read: the widened exploration finds it, so bpfvet does not
/// claim the program safe either.
#[test]
fn an_unsafe_late_turn_is_found() {
    let res = check(
        "r6 = 0x0
        r6 += 0x1
        if r6 != 0x8000000 goto +0x2
        r1 = 0x0
        r0 = *(u64 *)(r1 + 0x0)
        if r6 < 0x10000000 goto -0x5
        r0 = 0x2
        exit",
    );
    too_complex(&res);
    assert_eq!(res.own, None);
}

/// An inner loop's counter starts again at every outer turn; the outer loop never ends (its
/// test is on r9, which nothing changes) and has no counter of its own: the inner loop's
/// bound says nothing of it.
#[test]
fn an_inner_counter_does_not_bound_an_endless_outer_loop() {
    let res = check(
        "r9 = 0x0
        r6 = 0x0
        r6 += 0x1
        if r6 < 0x100000 goto -0x2
        if r9 == 0x0 goto -0x4
        r0 = 0x2
        exit",
    );
    too_complex(&res);
    assert_eq!(res.own, None);
}

/// Nested counted loops both end: each has its own bound.
#[test]
fn nested_counted_loops_are_safe() {
    let res = check(
        "r7 = 0x0
        r6 = 0x0
        r6 += 0x1
        if r6 < 0x1000 goto -0x2
        r7 += 0x1
        if r7 < 0x1000 goto -0x5
        r0 = 0x2
        exit",
    );
    too_complex(&res);
    let own = res.own.expect("proved safe");
    let mut heads: Vec<(u32, Reg)> = own.loops.iter().map(|l| (l.head.0, l.counter)).collect();
    heads.sort();
    assert_eq!(heads, [(1, Reg::R7), (2, Reg::R6)]);
}

/// A program that stays within the budget gets no second verdict.
#[test]
fn within_the_budget_there_is_one_verdict() {
    let res = check(
        "r6 = 0x0
        r6 += 0x1
        if r6 < 0x10 goto -0x2
        r0 = 0x2
        exit",
    );
    assert_eq!(res.verdict, Verdict::Accept);
    assert_eq!(res.own, None);
}
