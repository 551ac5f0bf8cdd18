//! Reads through a map pointer (the map's kernel structure, read through BTF) may not start
//! before the structure (verifier_map_ptr.c `read_with_negative_offset_rejected`).

use super::{assert_accepted, assert_rejected, check};
use crate::program::{MapDef, MapType};
use crate::verifier::violation::Code;

fn read_map_struct(off: &str) -> String {
    format!(
        "ld_pseudo r1, 0x5, 0x0
         r6 = *(u64 *)(r1 {off})
         r0 = 0x1
         exit"
    )
}

#[test]
fn a_negative_offset_into_a_map_is_rejected() {
    let maps = [MapDef::plain("array", MapType::ARRAY, 4, 48, 1)];
    let res = check("socket_filter", &maps, &read_map_struct("- 0x8"));
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "R1 is bpf_array invalid negative access: off=-8",
    );
}

#[test]
fn a_field_of_the_map_is_readable() {
    let maps = [MapDef::plain("array", MapType::ARRAY, 4, 48, 1)];
    assert_accepted(&check("socket_filter", &maps, &read_map_struct("+ 0x0")));
}

/// `read_non_existent_field_rejected`: 4 bytes at offset 1, inside the `ops` pointer. The 6.1
/// and 6.12 kernels refuse it with this message; 6.18 reads a number.
#[test]
fn part_of_a_pointer_member_is_refused_before_6_16() {
    use crate::isa::text::parse_program;
    use crate::rules::ProgTypeRules;
    use crate::verifier::env::{Input, KernelVersion, Options};
    let maps = [MapDef::plain("array", MapType::ARRAY, 4, 48, 1)];
    let src = "ld_pseudo r1, 0x5, 0x0
         w6 = *(u32 *)(r1 + 0x1)
         r0 = 0x1
         exit";
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("socket_filter").expect("type");
    for (kernel, refused) in [((6, 1), true), ((6, 12), true), ((6, 18), false)] {
        let opts = Options {
            kernel: KernelVersion::new(kernel.0, kernel.1),
            ..Options::default()
        };
        let res = crate::verifier::verify(&Input::bare(&insns, &maps, rules, true), &opts);
        if refused {
            assert_rejected(
                &res,
                Code::InvalidMemAccess,
                "cannot access ptr member ops with moff 0 in struct bpf_map with off 1 size 4",
            );
        } else {
            assert_accepted(&res);
        }
    }
}
