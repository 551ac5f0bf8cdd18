//! A sleepable program may reach a map through a map of maps only when the *inner* map's type
//! is one sleepable programs may use. The live 6.18.44 refuses a `syscall` program that only
//! names an array of LPM tries (or of bloom filters) with "Sleepable programs can only use
//! array, hash, ringbuf and local storage maps, also as inner maps", before exploring any
//! instruction; an array of arrays is accepted.

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::program::{MapDef, MapType};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

/// A sleepable `syscall` program that takes the address of an array of maps whose inner map
/// is of `inner_type`.
fn naming_array_of(inner_type: u32) -> VerifyResult {
    let insns = parse_program("ld_pseudo r1, 0x5, 0x0\n r0 = 0x0\n exit").expect("parses");
    let rules = ProgTypeRules::by_name("syscall").expect("type");
    let mut outer = MapDef::plain("outer", MapType::ARRAY_OF_MAPS, 4, 4, 1);
    outer.inner = Some(Box::new(MapDef::plain(
        "inner",
        MapType(inner_type),
        8,
        4,
        2,
    )));
    let maps = [outer];
    let mut input = Input::bare(&insns, &maps, rules, true);
    input.sleepable = true;
    verify(&input, &Options::default())
}

#[test]
fn an_inner_map_of_a_type_sleepable_programs_may_not_use_is_refused() {
    // 11: LPM trie, 30: bloom filter.
    for refused in [11, 30] {
        let res = naming_array_of(refused);
        assert_rejected(
            &res,
            Code::HelperNotAllowed,
            "Sleepable programs can only use array, hash, ringbuf and local storage maps",
        );
        assert!(
            res.violations[0].message.contains("inner map inner"),
            "{:?}",
            res.violations
        );
    }
}

#[test]
fn an_inner_array_or_hash_is_accepted() {
    for allowed in [1, 2] {
        assert_accepted(&naming_array_of(allowed));
    }
}
