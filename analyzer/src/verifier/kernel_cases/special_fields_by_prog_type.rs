//! Which program types may name a map whose values hold a lock or a work queue, and direct
//! loads of a `struct bpf_wq`, as the live 6.18.44 answers (each program also written in C and
//! loaded, /tmp objects of this session): a socket filter naming a map with a `bpf_spin_lock`
//! (or a `bpf_res_spin_lock`) is refused with "socket filter progs cannot use bpf_spin_lock
//! yet", a kprobe naming a map with a `bpf_wq` with "tracing progs cannot use bpf_wq yet", and
//! a load from a value's `bpf_wq` with "bpf_wq cannot be accessed directly by load/store".
//! bpfvet accepted all three before (the checks knew only locks and timers, for tracing
//! programs).

use super::{assert_accepted, assert_rejected, check_with_btf, locked_map, lookup_key0};
use crate::program::{MapDef, MapType};
use crate::verifier::violation::Code;

/// A map whose 24-byte value is `struct value { int x; struct bpf_wq w; }` (the work queue,
/// 16 bytes, at offset 8), with its BTF.
fn wq_map() -> (MapDef, crate::btf::Btf) {
    // 1: int; 2: struct bpf_wq { int val; } (16 bytes); 3: struct value { int x; ... w; }.
    let strings = b"\0int\0bpf_wq\0val\0value\0x\0w\0";
    let words = [
        1,
        1 << 24,
        4,
        (1 << 24) | 32,
        5,
        (4 << 24) | 1,
        16,
        12,
        1,
        0,
        16,
        (4 << 24) | 2,
        24,
        22,
        1,
        0,
        24,
        2,
        64,
    ];
    let btf = crate::btf::Btf::parse(&crate::btf::test_blob(&words, strings)).expect("BTF");
    let mut def = MapDef::plain("wqs", MapType::ARRAY, 4, 24, 1);
    def.value_type = Some(crate::btf::TypeId(3));
    (def, btf)
}

/// Looks the value up and loads the 4 bytes at `off` of it.
fn load_at(off: i32) -> String {
    format!(
        "{}
         r0 = *(u32 *)(r6 + {off})
         exit",
        lookup_key0("r6")
    )
}

#[test]
fn a_socket_filter_may_not_name_a_map_with_a_spin_lock() {
    let (map, btf) = locked_map("locked", MapType::ARRAY);
    let res = check_with_btf(
        "socket_filter",
        std::slice::from_ref(&map),
        &btf,
        &load_at(0),
    );
    assert_rejected(
        &res,
        Code::HelperNotAllowed,
        "socket filter progs cannot use bpf_spin_lock yet",
    );
    // The same program as a tc classifier is fine.
    assert_accepted(&check_with_btf("sched_cls", &[map], &btf, &load_at(0)));
}

#[test]
fn a_tracing_program_may_not_name_a_map_with_a_work_queue() {
    let (map, btf) = wq_map();
    let res = check_with_btf("kprobe", std::slice::from_ref(&map), &btf, &load_at(0));
    assert_rejected(
        &res,
        Code::HelperNotAllowed,
        "tracing progs cannot use bpf_wq yet",
    );
    // A socket filter may: only locks are kept from it.
    assert_accepted(&check_with_btf("socket_filter", &[map], &btf, &load_at(0)));
}

#[test]
fn a_work_queue_may_not_be_loaded_directly() {
    let (map, btf) = wq_map();
    let res = check_with_btf("sched_cls", std::slice::from_ref(&map), &btf, &load_at(8));
    assert_rejected(
        &res,
        Code::SpinLockMisuse,
        "bpf_wq cannot be accessed directly by load/store",
    );
    assert_accepted(&check_with_btf("sched_cls", &[map], &btf, &load_at(0)));
}
