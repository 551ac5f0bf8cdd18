//! Map flags that restrict what the program may do with values (verifier_array_access.c,
//! `a_read_only_array_*`, `a_write_only_array_*`): `BPF_F_WRONLY_PROG` forbids reads, directly
//! or through a helper that reads the value; `BPF_F_RDONLY_PROG` forbids writes.

use super::{assert_accepted, assert_rejected, check};
use crate::program::{MapDef, MapType, BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG};
use crate::verifier::violation::Code;

fn array(flags: u32) -> [MapDef; 1] {
    let mut m = MapDef::plain("array", MapType::ARRAY, 4, 48, 1);
    m.map_flags = flags;
    [m]
}

/// Looks key 0 up and, when found, runs `then` with the value in r0 (and the context in r6).
fn lookup_then(then: &str) -> String {
    format!(
        "r6 = r1
         r1 = 0x0
         *(u64 *)(r10 - 0x8) = r1
         r2 = r10
         r2 += -0x8
         ld_pseudo r1, 0x5, 0x0
         call 0x1
         if r0 == 0x0 goto done
         {then}
     done:
         r0 = 0x0
         exit"
    )
}

#[test]
fn a_write_only_value_cannot_be_read() {
    let res = check(
        "socket_filter",
        &array(BPF_F_WRONLY_PROG),
        &lookup_then("r0 = *(u64 *)(r0 + 0x0)"),
    );
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "read from map forbidden, value_size=48 off=0 size=8",
    );
}

/// bpf_csum_diff reads its `from` buffer: a write-only value may not be it.
#[test]
fn a_write_only_value_cannot_be_read_by_a_helper() {
    let res = check(
        "sched_cls",
        &array(BPF_F_WRONLY_PROG),
        &lookup_then("r1 = r0\nr2 = 0x4\nr3 = 0x0\nr4 = 0x0\nr5 = 0x0\ncall 0x1c"),
    );
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "read from map forbidden, value_size=48 off=0 size=4",
    );
}

/// Writes, by the program or by a helper (bpf_skb_load_bytes into the value), stay allowed.
#[test]
fn a_write_only_value_can_be_written() {
    let res = check(
        "socket_filter",
        &array(BPF_F_WRONLY_PROG),
        &lookup_then("r1 = 0x2a\n*(u64 *)(r0 + 0x0) = r1"),
    );
    assert_accepted(&res);
    let res = check(
        "sched_cls",
        &array(BPF_F_WRONLY_PROG),
        &lookup_then("r1 = r6\nr2 = 0x0\nr3 = r0\nr4 = 0x8\ncall 0x1a"),
    );
    assert_accepted(&res);
}

#[test]
fn a_read_only_value_cannot_be_written() {
    let res = check(
        "socket_filter",
        &array(BPF_F_RDONLY_PROG),
        &lookup_then("r1 = 0x2a\n*(u64 *)(r0 + 0x0) = r1"),
    );
    assert_rejected(
        &res,
        Code::WriteToReadOnly,
        "write into map forbidden, value_size=48 off=0 size=8",
    );
}
