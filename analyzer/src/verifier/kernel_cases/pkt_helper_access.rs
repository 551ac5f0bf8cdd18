//! Only some helpers may be given a pointer into the packet (the kernel's `pkt_access`: map
//! helpers, `csum_diff`, socket lookups, SYN cookies); `bpf_skb_load_bytes` into the packet is
//! refused (verifier_helper_packet_access.c `test12_cls_unsuitable_helper_2`).

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

/// Checks 8 bytes of packet at r3 (= data), then runs `call`.
fn with_packet(call: &str) -> String {
    format!(
        "w6 = *(u32 *)(r1 + 0x4c)
         w7 = *(u32 *)(r1 + 0x50)
         r3 = r6
         r6 += 0x8
         if r6 > r7 goto out
         {call}
     out:
         r0 = 0x0
         exit"
    )
}

#[test]
fn skb_load_bytes_into_the_packet_is_rejected() {
    // bpf_skb_load_bytes(skb, 0, data, 4)
    let res = check(
        "sched_cls",
        &[],
        &with_packet("r2 = 0x0\nr4 = 0x4\ncall 0x1a"),
    );
    assert_rejected(
        &res,
        Code::HelperArgType,
        "helper access to the packet is not allowed",
    );
}

#[test]
fn csum_diff_over_the_packet_is_accepted() {
    // bpf_csum_diff(data, 4, NULL, 0, 0)
    let call = "r1 = r3\nr2 = 0x4\nr3 = 0x0\nr4 = 0x0\nr5 = 0x0\ncall 0x1c";
    assert_accepted(&check("sched_cls", &[], &with_packet(call)));
}
