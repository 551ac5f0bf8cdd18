//! `BPF_F_STRICT_ALIGNMENT`: loads and stores must be aligned to their size, packet accesses
//! counted from 2 bytes past an aligned address (verifier_direct_packet_access.c
//! `packet_access_test17_pruning_alignment`; the live 6.18 kernel loaded the same
//! instructions with and without the flag).

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

/// A 4-byte store 4 bytes before `data + 14 + extra`, after checking it is within the packet.
fn store_before(extra: u32) -> String {
    format!(
        "w2 = *(u32 *)(r1 + 0x4c)
         w3 = *(u32 *)(r1 + 0x50)
         r0 = r2
         r0 += {}
         if r0 > r3 goto +0x1
         *(u32 *)(r0 - 0x4) = w0
         r0 = 0x0
         exit",
        14 + extra
    )
}

fn check(src: &str, strict_alignment: bool) -> VerifyResult {
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("sched_cls").expect("program type");
    let opts = Options {
        strict_alignment,
        ..Options::default()
    };
    verify(&Input::bare(&insns, &[], rules, true), &opts)
}

#[test]
fn a_misaligned_packet_store_is_rejected_under_strict_alignment() {
    assert_rejected(
        &check(&store_before(1), true),
        Code::MisalignedAccess,
        "misaligned packet access off 2+0+15+-4 size 4",
    );
}

#[test]
fn the_same_store_is_accepted_without_the_flag() {
    assert_accepted(&check(&store_before(1), false));
}

#[test]
fn a_store_aligned_after_the_ip_offset_is_accepted_under_strict_alignment() {
    assert_accepted(&check(&store_before(0), true));
}
