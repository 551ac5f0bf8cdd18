//! The inner map a map-of-maps lookup returns may be NULL: it must be checked before it is
//! passed as a map (verifier_map_in_map.c `on_the_inner_map_pointer`).

use super::{assert_accepted, assert_rejected, check};
use crate::program::{MapDef, MapType};
use crate::verifier::violation::Code;

fn map_in_map() -> [MapDef; 1] {
    let mut outer = MapDef::plain("outer", MapType::ARRAY_OF_MAPS, 4, 4, 1);
    outer.inner = Some(Box::new(MapDef::plain("inner", MapType::ARRAY, 4, 4, 1)));
    [outer]
}

/// Looks up the inner map, runs `check`, then looks key 0 up in it.
fn nested_lookup(check: &str) -> String {
    format!(
        "r1 = 0x0
         *(u32 *)(r10 - 0x4) = w1
         r2 = r10
         r2 += -0x4
         ld_pseudo r1, 0x5, 0x0
         call 0x1
         {check}
         r1 = 0x0
         *(u32 *)(r10 - 0x4) = w1
         r2 = r10
         r2 += -0x4
         r1 = r0
         call 0x1
     out:
         r0 = 0x0
         exit"
    )
}

#[test]
fn an_unchecked_inner_map_is_rejected() {
    let res = check("socket_filter", &map_in_map(), &nested_lookup(""));
    assert_rejected(
        &res,
        Code::HelperArgType,
        "R1 type=map_ptr_or_null expected=map_ptr",
    );
}

#[test]
fn a_checked_inner_map_is_accepted() {
    let res = check(
        "socket_filter",
        &map_in_map(),
        &nested_lookup("if r0 == 0x0 goto out"),
    );
    assert_accepted(&res);
}
