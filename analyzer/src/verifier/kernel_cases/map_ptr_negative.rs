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
