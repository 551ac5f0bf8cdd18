//! Pointer casts of a referenced socket (`bpf_tcp_sock`, `bpf_sk_fullsock`, `bpf_skc_to_*`)
//! share the socket's reference: once the socket is released, the cast pointer is a scalar
//! (verifier_ref_tracking.c, `bpf_tcp_sock_after_release`, `bpf_sk_fullsock_after_release`,
//! `sk_fullsock_tp_after_release`, `to_tcp_sock_after_release`).

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

/// `sk = bpf_sk_lookup_tcp(ctx, &tuple, 36, 0, 0)` into r6, with `rest` after the NULL check.
fn lookup_then(rest: &str) -> String {
    format!(
        "r2 = 0x0
         *(u32 *)(r10 - 0x8) = w2
         *(u64 *)(r10 - 0x10) = r2
         *(u64 *)(r10 - 0x18) = r2
         *(u64 *)(r10 - 0x20) = r2
         *(u64 *)(r10 - 0x28) = r2
         *(u64 *)(r10 - 0x30) = r2
         r2 = r10
         r2 += -0x30
         r3 = 0x24
         r4 = 0x0
         r5 = 0x0
         call 0x54
         if r0 != 0x0 goto found
         exit
     found:
         r6 = r0
         {rest}"
    )
}

/// Casts with `helper`, releases the socket on both edges, then reads the cast pointer at
/// `off` on the non-NULL edge.
fn cast_release_read(helper: u32, read: &str) -> String {
    lookup_then(&format!(
        "r1 = r6
         call {helper:#x}
         if r0 != 0x0 goto cast
         r1 = r6
         call 0x56
         exit
     cast:
         r7 = r0
         r1 = r6
         call 0x56
         {read}
         exit"
    ))
}

#[test]
fn a_cast_is_invalid_after_the_socket_is_released() {
    for (helper, read) in [
        (0x60, "w0 = *(u32 *)(r7 + 0x0)"), // bpf_tcp_sock
        (0x5f, "w0 = *(u32 *)(r7 + 0x8)"), // bpf_sk_fullsock
    ] {
        let res = check("sched_cls", &[], &cast_release_read(helper, read));
        assert_rejected(
            &res,
            Code::InvalidMemAccess,
            "R7 invalid mem access 'scalar'",
        );
    }
}

/// The reference travels through a cast of a cast.
#[test]
fn a_cast_of_a_cast_is_invalid_after_the_socket_is_released() {
    let src = lookup_then(
        "r1 = r0
         call 0x60
         if r0 != 0x0 goto tp
         r1 = r6
         call 0x56
         exit
     tp:
         r1 = r0
         call 0x5f
         r1 = r6
         r6 = r0
         call 0x56
         if r6 != 0x0 goto full
         exit
     full:
         w0 = *(u32 *)(r6 + 0x8)
         exit",
    );
    let res = check("sched_cls", &[], &src);
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "R6 invalid mem access 'scalar'",
    );
}

/// Read before the release, the cast is a valid socket.
#[test]
fn a_cast_is_valid_while_the_socket_is_held() {
    let src = lookup_then(
        "r1 = r6
         call 0x60
         if r0 == 0x0 goto out
         w7 = *(u32 *)(r0 + 0x0)
     out:
         r1 = r6
         call 0x56
         r0 = 0x0
         exit",
    );
    assert_accepted(&check("sched_cls", &[], &src));
}

/// A NULL cast does not release the socket it was made from: the socket still leaks.
#[test]
fn a_null_cast_does_not_release_the_socket() {
    let src = lookup_then(
        "r1 = r6
         call 0x60
         if r0 != 0x0 goto out
         r0 = 0x0
         exit
     out:
         r1 = r6
         call 0x56
         r0 = 0x0
         exit",
    );
    let res = check("sched_cls", &[], &src);
    assert_eq!(
        res.violations.first().map(|v| v.code),
        Some(Code::ReferenceLeak)
    );
}
