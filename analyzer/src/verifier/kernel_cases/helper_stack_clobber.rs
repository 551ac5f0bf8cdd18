//! Kernels before the clobbering rule was narrowed (6.1 and 6.12 measured; 6.18 narrowed it)
//! treat every helper access to the stack as a possible write: a register spilled where a map
//! key is read back becomes an unknown number. libbpf-tools' biosnoop (`block_rq_complete`)
//! keeps its request pointer in the key slot and reads it back: 6.1 and 6.12 reject it with
//! `R1 invalid mem access 'scalar'`, 6.18 loads it.

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::program::{MapDef, MapType};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;

const KEY_SLOT_READ_BACK: &str = "*(u64 *)(r10 - 0x8) = r1
    r2 = r10
    r2 += -0x8
    ld_pseudo r1, 0x5, 0x0
    call 0x1
    r1 = *(u64 *)(r10 - 0x8)
    r0 = *(u32 *)(r1 + 0x0)
    r0 = 0x0
    exit";

fn check_at(kernel: KernelVersion) -> crate::verifier::VerifyResult {
    let maps = [MapDef::plain("hash", MapType::HASH, 8, 8, 1)];
    let insns = parse_program(KEY_SLOT_READ_BACK).expect("parses");
    let rules = ProgTypeRules::by_name("socket_filter").expect("type");
    let opts = Options {
        kernel,
        ..Options::default()
    };
    crate::verifier::verify(&Input::bare(&insns, &maps, rules, true), &opts)
}

#[test]
fn a_pointer_in_a_map_key_slot_is_lost_before_6_16() {
    for kernel in [KernelVersion::new(6, 1), KernelVersion::new(6, 12)] {
        assert_rejected(
            &check_at(kernel),
            Code::InvalidMemAccess,
            "R1 invalid mem access 'scalar'",
        );
    }
    assert_accepted(&check_at(KernelVersion::new(6, 18)));
}
