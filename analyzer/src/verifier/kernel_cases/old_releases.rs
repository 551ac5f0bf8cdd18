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

/// A program that reads the never-written r9 ("R9 !read_ok") unless the kernel knows the
/// register `check` names holds `value` after `body`: each spill and fill rule below is one
/// `body`.
fn read_r9_unless(body: &str, check: &str) -> String {
    format!(
        "{body}
        {check} goto +0x1
        r0 = *(u64 *)(r9 + 0x0)
        r0 = 0x0
        exit"
    )
}

fn assert_reads_r9(res: &VerifyResult) {
    assert_rejected(res, Code::UninitRegRead, "R9 !read_ok");
}

/// A 4-byte spill of a constant filled back with 4 bytes: 6.1 keeps narrow spills of bounded
/// scalars and restores them on a fill of the same size (`scalar_offset_to_skb_data_1/2`,
/// `stack_load_preserves_const_precision_subreg`); kernels before 5.16 kept only 8-byte
/// spills (from the sources; no such kernel was booted).
const EXACT_FILL: &str = "w4 = 0x14
    *(u32 *)(r10 - 0x8) = r4
    r4 = *(u32 *)(r10 - 0x8)";

#[test]
fn from_5_16_a_narrow_spill_is_restored_by_a_fill_of_its_size() {
    let src = read_r9_unless(EXACT_FILL, "if r4 == 0x14");
    assert_accepted(&check_at(OLD, "socket_filter", &src));
    assert_accepted(&check_at(NEW, "socket_filter", &src));
    assert_reads_r9(&check_at(KernelVersion::new(5, 15), "socket_filter", &src));
}

#[test]
fn before_6_8_a_narrower_fill_does_not_restore_a_narrow_spill() {
    // The same spill read back with 2 bytes: 6.12 restores the low half, 6.1 reads an
    // unknown u16.
    let body = EXACT_FILL.replace("r4 = *(u32 *)", "r4 = *(u16 *)");
    let src = read_r9_unless(&body, "if r4 == 0x14");
    assert_reads_r9(&check_at(OLD, "socket_filter", &src));
    assert_accepted(&check_at(NEW, "socket_filter", &src));
}

#[test]
fn before_6_8_a_narrow_spill_turns_zero_bytes_beside_it_into_data() {
    // fp-4 holds four zero bytes (a store not at a slot's start is data); the narrow spill at
    // fp-8 leaves them zero on 6.12 and makes them plain data on 6.1.
    let src = read_r9_unless(
        "r1 = 0x0
        *(u32 *)(r10 - 0x4) = r1
        w4 = 0x14
        *(u32 *)(r10 - 0x8) = r4
        r5 = *(u32 *)(r10 - 0x4)",
        "if r5 == 0x0",
    );
    assert_reads_r9(&check_at(OLD, "socket_filter", &src));
    assert_accepted(&check_at(NEW, "socket_filter", &src));
}

#[test]
fn before_6_8_an_unbounded_scalar_is_stored_as_data() {
    // `bpf_ktime_get_ns()` is unbounded: 6.12 spills it with the id it shares with r1, so
    // r1 == 5 reaches the spill; 6.1 stores plain bytes and the fill is a new unknown.
    let src = read_r9_unless(
        "call 0x5
        r1 = r0
        *(u64 *)(r10 - 0x8) = r0
        if r1 != 0x5 goto +0x3
        r2 = *(u64 *)(r10 - 0x8)",
        "if r2 == 0x5",
    );
    assert_reads_r9(&check_at(OLD, "socket_filter", &src));
    assert_accepted(&check_at(NEW, "socket_filter", &src));
}

#[test]
fn before_6_8_a_compare_does_not_refine_a_narrow_spill() {
    // r0 >= 1 is learned for r0 and r1 but, on 6.1, not for the 4-byte spill of r0, whose
    // fill can still be 0 (`verifier_spill_fill` `spill_32bit_range_track`).
    let src = read_r9_unless(
        "call 0x5
        r0 &= 0xffff
        r1 = r0
        *(u32 *)(r10 - 0x8) = r0
        if r0 < 0x1 goto +0x3
        r1 = *(u32 *)(r10 - 0x8)",
        "if r1 >= 0x1",
    );
    assert_reads_r9(&check_at(OLD, "socket_filter", &src));
    assert_accepted(&check_at(NEW, "socket_filter", &src));
}

#[test]
fn an_immediate_stored_to_the_stack_is_a_spilled_constant_from_6_1() {
    // Debian's 6.1.192 tracks `BPF_ST` like a register store (mainline 6.3, in 6.1.y);
    // before, the bytes were data (from the sources).
    let src = read_r9_unless(
        "*(u32 *)(r10 - 0x8) = 0x14
        r4 = *(u32 *)(r10 - 0x8)",
        "if r4 == 0x14",
    );
    assert_accepted(&check_at(OLD, "socket_filter", &src));
    assert_accepted(&check_at(NEW, "socket_filter", &src));
    assert_reads_r9(&check_at(KernelVersion::new(5, 17), "socket_filter", &src));
}

/// Checks a packet pointer's range, tail-calls, then reads through the pointer (r7).
const PKT_AFTER_TAIL_CALL: &str = "r6 = r1
    r2 = *(u32 *)(r1 + 0x4c)
    r3 = *(u32 *)(r1 + 0x50)
    r7 = r2
    r2 += 0x4
    if r2 > r3 goto +0x6
    r1 = r6
    ld_pseudo r2, 0x5, 0x0
    r3 = 0x0
    call 0xc
    r0 = *(u32 *)(r7 + 0x0)
    r0 = 0x0
    exit";

#[test]
fn before_the_2025_fix_a_tail_call_keeps_packet_pointers() {
    // 6.1 keeps them (`verifier_sock` `invalidate_pkt_pointers_by_tail_call`); 6.12 invalidates
    // them (`pkt_effects::opaque_calls_invalidate_packet`). The live 6.18.44 accepts it again:
    // there a tail call leaves its own frame's packet pointers alone (`tail_call_frames.rs`).
    let insns = parse_program(PKT_AFTER_TAIL_CALL).expect("parses");
    let rules = ProgTypeRules::by_name("sched_cls").expect("type");
    let maps = [crate::program::MapDef::plain(
        "jmp",
        crate::program::MapType::PROG_ARRAY,
        4,
        4,
        1,
    )];
    let at = |kernel| {
        let opts = Options {
            kernel,
            ..Options::default()
        };
        crate::verifier::verify(&Input::bare(&insns, &maps, rules, true), &opts)
    };
    assert_accepted(&at(OLD));
    assert_rejected(
        &at(NEW),
        Code::InvalidMemAccess,
        "R7 invalid mem access 'scalar'",
    );
    assert_accepted(&at(KernelVersion::new(6, 18)));
}

#[test]
fn before_the_2025_fix_a_global_function_keeps_packet_pointers() {
    // The global `f` calls the static `g`, which pulls packet data; 6.1 keeps the caller's
    // packet pointer (`invalidate_pkt_pointers_from_global_func`), 6.12 does not.
    let src = "w0 = 0x2
        r2 = *(u32 *)(r1 + 0x50)
        r6 = *(u32 *)(r1 + 0x4c)
        r3 = r6
        r3 += 0x4
        if r3 > r2 goto +0x4
        call pc+0x4
        w1 = 0x2a
        *(u32 *)(r6 + 0x0) = r1
        w0 = 0x0
        exit
        call pc+0x2
        w0 = 0x0
        exit
        w2 = 0x0
        call 0x27
        exit";
    let at = |kernel| super::pkt_invalidation::check_global_call_at(kernel, src, 11);
    assert_accepted(&at(OLD));
    assert_rejected(
        &at(NEW),
        Code::InvalidMemAccess,
        "R6 invalid mem access 'scalar'",
    );
}

#[test]
fn on_6_1_pruning_does_not_compare_scalar_ids() {
    // `verifier_scalar_ids` `check_ids_in_regsafe`: on the fall-through r7 = r6, so r7 <= 4
    // bounds r6 too; on the jump they are unrelated and r6 is unbounded. 6.1's `regsafe`
    // ignores scalar ids, prunes the jump's state at the second compare against the
    // fall-through's, and accepts (Debian's 6.1.192); 6.12 maps ids and rejects the jump's
    // `r9 += r6` (`subsume::id_rules`).
    let src = "r1 = 0x0
        *(u64 *)(r10 - 0x8) = r1
        r9 = r10
        r9 += -0x8
        call 0x5
        r7 = r0
        call 0x5
        r6 = r0
        if r6 > r7 goto +0x1
        r7 = r6
        if r7 > 0x4 goto +0x2
        r9 += r6
        r0 = *(u8 *)(r9 + 0x0)
        r0 = 0x0
        exit";
    assert_accepted(&check_at(OLD, "socket_filter", src));
    assert_rejected(
        &check_at(NEW, "socket_filter", src),
        Code::UnboundedVarOff,
        "math between fp pointer and register with unbounded min value is not allowed",
    );
}
