//! An xskmap lookup yields an AF_XDP socket (`PTR_TO_XDP_SOCK`) once checked against NULL, not
//! a map value: only its 4-byte `queue_id` at offset 0 may be read, nothing written, and no
//! arithmetic done on it (verifier_sock.c `xskmap_key_xs_queue_id`; the messages are the live
//! 6.18 kernel's for the same instructions on a real xskmap).

use super::{assert_accepted, assert_rejected, check};
use crate::program::{MapDef, MapType};
use crate::verifier::violation::Code;

fn xskmap() -> MapDef {
    MapDef::plain("xsks", MapType(17), 4, 4, 1)
}

/// Looks up key 0 of the xskmap, exits on NULL, then does `access` through r0.
fn with_socket(access: &str) -> String {
    format!(
        "r1 = 0x0
         *(u32 *)(r10 - 0x8) = w1
         r2 = r10
         r2 += -0x8
         ld_pseudo r1, 0x5, 0x0
         call 0x1
         if r0 != 0x0 goto +0x1
         exit
         {access}
         r0 = 0x0
         exit"
    )
}

fn run(access: &str) -> crate::verifier::VerifyResult {
    check("xdp", &[xskmap()], &with_socket(access))
}

#[test]
fn the_queue_id_is_readable() {
    assert_accepted(&run("w1 = *(u32 *)(r0 + 0x0)"));
}

#[test]
fn narrower_wider_or_other_reads_are_refused() {
    let cases = [
        (
            "w1 = *(u8 *)(r0 + 0x0)",
            "R0 invalid xdp_sock access off=0 size=1",
        ),
        (
            "w1 = *(u32 *)(r0 + 0x4)",
            "R0 invalid xdp_sock access off=4 size=4",
        ),
        (
            "r1 = *(u64 *)(r0 + 0x0)",
            "R0 invalid xdp_sock access off=0 size=8",
        ),
    ];
    for (access, message) in cases {
        assert_rejected(&run(access), Code::InvalidMemAccess, message);
    }
}

#[test]
fn writes_are_refused() {
    assert_rejected(
        &run("*(u32 *)(r0 + 0x0) = w0"),
        Code::InvalidMemAccess,
        "R0 cannot write into xdp_sock",
    );
}

#[test]
fn arithmetic_is_refused() {
    let res = run("r0 += 0x4");
    assert_eq!(res.verdict, crate::verifier::Verdict::Reject);
    assert_eq!(
        res.violations[0].kernel_message,
        "R0 pointer arithmetic on xdp_sock prohibited"
    );
}
