//! A metadata pointer is bounded only by the packet start itself: compared with a packet
//! pointer that was moved, it proves nothing (verifier_meta_access.c `meta_access_test6`,
//! `meta_access_test10`).

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

/// `if meta + 8 > start + `moved` skip; else read meta[0]`.
fn meta_vs_data(moved: u32) -> String {
    format!(
        "w2 = *(u32 *)(r1 + 0x8)
         w3 = *(u32 *)(r1 + 0x0)
         r0 = r3
         r0 += {moved:#x}
         r4 = r2
         r4 += 0x8
         if r4 > r0 goto +0x1
         w0 = *(u8 *)(r2 + 0x0)
         r0 = 0x0
         exit"
    )
}

#[test]
fn metadata_checked_against_a_moved_packet_pointer_is_rejected() {
    let res = check("xdp", &[], &meta_vs_data(8));
    assert_rejected(
        &res,
        Code::PacketOutOfBounds,
        "invalid access to packet, off=0 size=1, R2(id=0,off=0,r=0)\nR2 offset is outside of the packet",
    );
}

#[test]
fn metadata_checked_against_the_packet_start_is_accepted() {
    assert_accepted(&check("xdp", &[], &meta_vs_data(0)));
}
