//! The map types a sleepable program may name, as the live 6.18.44 answers: a `syscall`
//! program (sleepable) that only takes a map's address is refused for a bloom filter, a
//! program array or an LPM trie, and accepted for a hash, an array or a queue.

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::program::{MapDef, MapType};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

fn naming_map_of_type(map_type: u32) -> VerifyResult {
    let insns = parse_program("ld_pseudo r1, 0x5, 0x0\n r0 = 0x0\n exit").expect("parses");
    let rules = ProgTypeRules::by_name("syscall").expect("type");
    let maps = [MapDef::plain("m", MapType(map_type), 4, 4, 4)];
    let mut input = Input::bare(&insns, &maps, rules, true);
    input.sleepable = true;
    verify(&input, &Options::default())
}

#[test]
fn sleepable_programs_name_only_the_maps_the_kernel_lists() {
    for refused in [3, 11, 30] {
        assert_rejected(
            &naming_map_of_type(refused),
            Code::HelperNotAllowed,
            "Sleepable programs can only use array, hash, ringbuf and local storage maps",
        );
    }
    for allowed in [1, 2, 22] {
        assert_accepted(&naming_map_of_type(allowed));
    }
}
