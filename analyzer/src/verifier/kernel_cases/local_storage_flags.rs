//! `bpf_get_local_storage(map, flags)` with flags other than the constant 0
//! (verifier_cgroup_storage.c, `invalid_cgroup_storage_access_5/6`, `cpu_..._5/6`).

use super::{assert_accepted, assert_rejected, check};
use crate::program::{MapDef, MapType};
use crate::verifier::violation::Code;

const MSG: &str = "get_local_storage() doesn't support non-zero flags";

fn storage(map_type: u32) -> [MapDef; 1] {
    [MapDef::plain("storage", MapType(map_type), 16, 64, 0)]
}

fn get_with_flags(flags: &str) -> String {
    format!(
        "r2 = {flags}
         ld_pseudo r1, 0x5, 0x0
         call 0x51
         w1 = *(u32 *)(r0 + 0x0)
         r0 = r1
         r0 &= 0x1
         exit"
    )
}

#[test]
fn non_zero_or_unknown_flags_are_rejected() {
    for map_type in [19, 21] {
        let maps = storage(map_type);
        // A constant other than 0, and the context pointer (an ARG_ANYTHING that is not 0).
        for flags in ["0x7", "r1"] {
            let res = check("cgroup_skb", &maps, &get_with_flags(flags));
            assert_rejected(&res, Code::HelperArgType, MSG);
        }
    }
}

#[test]
fn zero_flags_are_accepted() {
    let res = check("cgroup_skb", &storage(19), &get_with_flags("0x0"));
    assert_accepted(&res);
}
