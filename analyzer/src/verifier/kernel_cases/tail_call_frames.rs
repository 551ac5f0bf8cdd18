//! Which packet pointers a tail call invalidates, by release. Control comes back after
//! `bpf_tail_call` only when it failed, and then the packet did not move; but a subprogram's
//! caller runs again after the program the tail call started has returned, so its packet
//! pointers are stale. Each verdict below was confirmed on the live 6.18.44 (`bpfvet kernel` on
//! the same code built from C) and, for 6.12, on Debian's 6.12.118 (`old_releases.rs`).

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::program::{MapDef, MapType};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

const K6_12: KernelVersion = KernelVersion::new(6, 12);
const K6_18: KernelVersion = KernelVersion::new(6, 18);

fn check_at(kernel: KernelVersion, src: &str) -> VerifyResult {
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("sched_cls").expect("type");
    let maps = [MapDef::plain("jmp", MapType::PROG_ARRAY, 4, 4, 1)];
    let opts = Options {
        kernel,
        ..Options::default()
    };
    verify(&Input::bare(&insns, &maps, rules, true), &opts)
}

/// A static subprogram checks a packet pointer, tail-calls, then reads through it.
const READ_IN_OWN_FRAME: &str = "call pc+0x2
    r0 &= 0x1
    exit
    r0 = 0x0
    w2 = *(u32 *)(r1 + 0x50)
    w6 = *(u32 *)(r1 + 0x4c)
    r3 = r6
    r3 += 0x4
    if r3 > r2 goto +0x5
    ld_pseudo r2, 0x5, 0x0
    r3 = 0x0
    call 0xc
    w0 = *(u32 *)(r6 + 0x0)
    exit";

/// The caller checks a packet pointer, calls a static subprogram that only tail-calls, then
/// reads through the pointer.
const READ_IN_CALLER: &str = "r0 = 0x0
    w2 = *(u32 *)(r1 + 0x50)
    w6 = *(u32 *)(r1 + 0x4c)
    r3 = r6
    r3 += 0x4
    if r3 > r2 goto +0x2
    call pc+0x2
    w0 = *(u32 *)(r6 + 0x0)
    exit
    ld_pseudo r2, 0x5, 0x0
    r3 = 0x0
    call 0xc
    exit";

#[test]
fn from_6_18_a_tail_call_keeps_the_packet_pointers_of_its_own_frame() {
    assert_accepted(&check_at(K6_18, READ_IN_OWN_FRAME));
    assert_rejected(
        &check_at(K6_12, READ_IN_OWN_FRAME),
        Code::InvalidMemAccess,
        "R6 invalid mem access 'scalar'",
    );
}

#[test]
fn a_tail_call_in_a_subprogram_invalidates_its_callers_packet_pointers() {
    for kernel in [K6_12, K6_18] {
        assert_rejected(
            &check_at(kernel, READ_IN_CALLER),
            Code::InvalidMemAccess,
            "R6 invalid mem access 'scalar'",
        );
    }
}
