//! A sign-extending load of a context field that yields a packet pointer (verifier_ldsx.c,
//! `ldsx_ctx_*`): the kernel refuses it as an invalid context access.

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

fn ldsx_then_exit(off: u32) -> String {
    format!("r2 = *(s32 *)(r1 + {off:#x})\nr0 = 0x0\nexit\n")
}

#[test]
fn sign_extending_load_of_xdp_data_is_rejected() {
    for off in [0, 4, 8] {
        let res = check("xdp", &[], &ldsx_then_exit(off));
        let msg = format!("invalid bpf_context access off={off} size=4");
        assert_rejected(&res, Code::CtxBadAccess, &msg);
    }
}

#[test]
fn sign_extending_load_of_skb_packet_pointers_is_rejected() {
    for (ty, offs) in [
        ("sched_cls", &[76, 80, 140][..]),
        ("flow_dissector", &[76, 80][..]),
    ] {
        for &off in offs {
            let res = check(ty, &[], &ldsx_then_exit(off));
            let msg = format!("invalid bpf_context access off={off} size=4");
            assert_rejected(&res, Code::CtxBadAccess, &msg);
        }
    }
}

/// Scalar fields stay readable with sign extension (`skb->len`, xdp's `ingress_ifindex`).
#[test]
fn sign_extending_load_of_a_scalar_field_is_accepted() {
    assert_accepted(&check("sched_cls", &[], &ldsx_then_exit(0)));
    assert_accepted(&check("xdp", &[], &ldsx_then_exit(12)));
}
