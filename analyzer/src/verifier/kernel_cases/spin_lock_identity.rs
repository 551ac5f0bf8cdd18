//! `bpf_spin_unlock` must be given the lock `bpf_spin_lock` took: a lock is named by its map
//! and the id of the value pointer it lives in (verifier_spin_lock.c
//! `spin_lock_test9_different_lock`, `reg_id_for_map_value`).

use super::{assert_accepted, assert_rejected, check_with_btf, locked_map, lookup_key0};
use crate::program::MapType;
use crate::verifier::violation::Code;

const MSG: &str = "bpf_spin_unlock of different lock";

/// `src` checked with one hash map whose value holds a lock at offset 4.
fn check(src: &str) -> crate::verifier::VerifyResult {
    let (map, btf) = locked_map("locked", MapType::HASH);
    check_with_btf("cgroup_skb", &[map], &btf, src)
}

/// Two lookups of key 0 into r6 and r7, then `body`.
fn two_values(body: &str) -> String {
    format!(
        "{}
         {}
         {body}
         r0 = 0x0
         exit",
        lookup_key0("r6"),
        lookup_key0("r7")
    )
}

fn lock_unlock(lock: &str, unlock: &str) -> String {
    two_values(&format!(
        "r1 = {lock}
         r1 += 0x4
         call 0x5d
         r1 = {unlock}
         r1 += 0x4
         call 0x5e"
    ))
}

#[test]
fn unlocking_another_values_lock_is_rejected() {
    let res = check(&lock_unlock("r6", "r7"));
    assert_rejected(&res, Code::SpinLockMisuse, MSG);
}

#[test]
fn unlocking_the_same_lock_through_a_copy_is_accepted() {
    assert_accepted(&check(&lock_unlock("r6", "r6")));
    let copy = two_values(
        "r1 = r6
         r1 += 0x4
         call 0x5d
         r8 = r6
         r1 = r8
         r1 += 0x4
         call 0x5e",
    );
    assert_accepted(&check(&copy));
}

/// On one path the pointer to unlock is replaced by the other value.
#[test]
fn a_lock_replaced_on_one_path_is_rejected() {
    let src = format!(
        "r9 = r1
         {}",
        two_values(
            "r1 = r6
             r1 += 0x4
             call 0x5d
             w8 = *(u32 *)(r9 + 0x0)
             if w8 == 0x0 goto +0x1
             goto +0x1
             r6 = r7
             r1 = r6
             r1 += 0x4
             call 0x5e",
        )
    );
    let res = check(&src);
    assert_rejected(&res, Code::SpinLockMisuse, MSG);
}
