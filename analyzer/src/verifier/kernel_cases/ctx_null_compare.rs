//! The kernel decides `p == 0` only for pointers it knows cannot be NULL (sockets, map values
//! and keys, maps, memory, BTF objects), not for the context or the stack: both edges of
//! `if ctx == 0` are explored (verifier_cfg.c `conditional_loop`, verifier_unpriv.c
//! `fill_of_different_pointers_*`).

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

#[test]
fn a_loop_on_the_context_being_null_is_infinite() {
    let src = "r0 = r1
        r2 = r0
        r3 = r0
        if r1 == 0x0 goto -0x3
        exit";
    let res = check("socket_filter", &[], src);
    // The kernel names insn 3 (it also checks at conditional jumps); bpfvet checks at the
    // jump target, insn 1.
    assert_eq!(
        res.violations.first().map(|v| v.code),
        Some(Code::InfiniteLoop)
    );
}

#[test]
fn both_edges_of_a_context_null_check_are_explored() {
    // On the edge where the context "is NULL" it is spilled and then stored through; on the
    // other a stack pointer is: one store, two kinds of base pointer.
    let src = "r6 = r10
        r6 += -0x8
        if r1 == 0x0 goto +0x3
        r2 = r10
        r2 += -0x10
        *(u64 *)(r6 + 0x0) = r2
        if r1 != 0x0 goto +0x1
        *(u64 *)(r6 + 0x0) = r1
        r1 = *(u64 *)(r6 + 0x0)
        *(u32 *)(r1 + 0x8) = 0x2a
        r0 = 0x0
        exit";
    let res = check("sched_cls", &[], src);
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "same insn cannot be used with different pointers",
    );
}

/// A map value's NULL check is decided once it is known not to be NULL.
#[test]
fn a_checked_map_value_is_not_null() {
    let maps = [crate::program::MapDef::plain(
        "hash",
        crate::program::MapType::HASH,
        4,
        8,
        1,
    )];
    let src = "r1 = 0x0
        *(u32 *)(r10 - 0x4) = w1
        r2 = r10
        r2 += -0x4
        ld_pseudo r1, 0x5, 0x0
        call 0x1
        if r0 == 0x0 goto +0x3
        if r0 != 0x0 goto +0x1
        r0 = *(u64 *)(r9 + 0x0)
        r0 = 0x0
        exit";
    assert_accepted(&check("socket_filter", &maps, src));
}
