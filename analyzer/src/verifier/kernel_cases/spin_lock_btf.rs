//! `bpf_spin_lock` finds the lock through the map's BTF, at one constant offset
//! (`process_spin_lock`): a map without BTF, a pointer that is not at the lock, or a variable
//! offset are each refused. Messages as the live 6.18 kernel printed them for
//! verifier_spin_lock.c's `lock_test*` programs and for a GCC 12 object whose BTF it refused
//! (corpus/realworld: gcc-bpf/tc/tc_token_bucket).

use super::{assert_accepted, assert_rejected, check, check_with_btf, locked_map, lookup_key0};
use crate::program::{MapDef, MapType};
use crate::verifier::violation::Code;

/// Looks up key 0, then locks and unlocks at `r1 = r0 + off`.
fn lock_at(off: i32) -> String {
    format!(
        "{}
         r1 = r6
         r1 += {off}
         call 0x5d
         r1 = r6
         r1 += {off}
         call 0x5e
         r0 = 0x0
         exit",
        lookup_key0("r6")
    )
}

#[test]
fn a_lock_at_its_offset_is_accepted() {
    let (map, btf) = locked_map("locked", MapType::HASH);
    assert_accepted(&check_with_btf("cgroup_skb", &[map], &btf, &lock_at(4)));
}

#[test]
fn a_map_without_btf_has_no_lock() {
    let map = MapDef::plain("plain", MapType::HASH, 4, 8, 1);
    assert_rejected(
        &check("cgroup_skb", &[map], &lock_at(4)),
        Code::HelperArgType,
        "map 'plain' has to have BTF in order to use bpf_spin_lock",
    );
}

#[test]
fn a_pointer_beside_the_lock_is_refused() {
    let (map, btf) = locked_map("locked", MapType::HASH);
    assert_rejected(
        &check_with_btf("cgroup_skb", &[map], &btf, &lock_at(0)),
        Code::HelperArgType,
        "off 0 doesn't point to 'struct bpf_spin_lock' that is at 4",
    );
}

#[test]
fn a_value_without_a_lock_is_refused() {
    let (mut map, btf) = locked_map("nolock", MapType::HASH);
    // Type 1 (`int`): a value with BTF but no lock in it.
    map.value_type = Some(crate::btf::TypeId(1));
    assert_rejected(
        &check_with_btf("cgroup_skb", &[map], &btf, &lock_at(4)),
        Code::HelperArgType,
        "map 'nolock' has no valid bpf_spin_lock",
    );
}
