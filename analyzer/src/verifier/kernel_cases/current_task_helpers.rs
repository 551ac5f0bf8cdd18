//! Since 6.16 `bpf_get_current_uid_gid` and `bpf_get_current_comm` are base helpers: every
//! program type may call them (samples/bpf's sock_flags calls the first from cgroup_sock). The
//! live 6.18 kernel accepts each program below as xdp, socket_filter, cgroup_sock, cgroup_skb
//! and sock_ops; a profile older than 6.16 keeps them to the tracing and cgroup types. Socket
//! creation hooks (cgroup_sock) always had them: the 6.1 and 6.12 kernels load sock_flags too.

use super::{assert_accepted, assert_rejected, check};
use crate::isa::text::parse_program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::verify;
use crate::verifier::violation::Code;

const UID: &str = "call 0xf
    r0 = 0x1
    exit";

const COMM: &str = "r1 = r10
    r1 += -0x10
    r2 = 0x10
    call 0x10
    r0 = 0x1
    exit";

#[test]
fn any_program_type_may_ask_for_the_current_task_on_6_18() {
    for ty in [
        "xdp",
        "socket_filter",
        "cgroup_sock",
        "cgroup_skb",
        "sock_ops",
    ] {
        assert_accepted(&check(ty, &[], UID));
        assert_accepted(&check(ty, &[], COMM));
    }
}

#[test]
fn before_6_16_xdp_may_not() {
    let insns = parse_program(UID).expect("parses");
    let rules = ProgTypeRules::by_name("xdp").expect("type");
    let opts = Options {
        kernel: KernelVersion::new(6, 12),
        ..Options::default()
    };
    let res = verify(&Input::bare(&insns, &[], rules, true), &opts);
    assert_rejected(
        &res,
        Code::HelperNotAllowed,
        "program of this type cannot use helper bpf_get_current_uid_gid#15",
    );
}

#[test]
fn cgroup_sock_may_on_older_releases_too() {
    let rules = ProgTypeRules::by_name("cgroup_sock").expect("type");
    for kernel in [KernelVersion::new(6, 1), KernelVersion::new(6, 12)] {
        let opts = Options {
            kernel,
            ..Options::default()
        };
        for src in [UID, COMM] {
            let insns = parse_program(src).expect("parses");
            assert_accepted(&verify(&Input::bare(&insns, &[], rules, true), &opts));
        }
    }
}
