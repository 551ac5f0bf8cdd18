//! A read through a trusted kernel pointer that starts in one member and runs past its end
//! (`btf_struct_walk`'s "access beyond the end of member"): the kernel's selftests
//! `task_kfunc_failure.c` `task_access_comm1/2` pass `task->comm` with 17 bytes (and
//! `task->comm + 1` with 16) to `bpf_strncmp`; the live 6.18 kernel rejects both with
//! "access beyond the end of member comm (mend:1768) in struct task_struct with off 1752 size
//! 17" (and "off 1753 size 16"), and bpfvet accepted them. An array member counts as a whole.
//! A hand-made kernel BTF stands in for vmlinux: `struct sk_buff { int len; char cb[8]; }`
//! reached through a netfilter program's trusted `skb`.

use super::{assert_accepted, assert_rejected};
use crate::verifier::violation::Code;
use crate::verifier::VerifyResult;

fn skb_btf() -> crate::btf::Btf {
    let strings = b"\0int\0char\0sk_buff\0len\0cb\0";
    #[rustfmt::skip]
    let w: Vec<u32> = vec![
        1, 1 << 24, 4, (1 << 24) | 32,           // 1: int
        5, 1 << 24, 1, 8,                        // 2: char
        0, 3 << 24, 0, 2, 1, 8,                  // 3: char[8]
        10, (4 << 24) | 2, 12, 18, 1, 0, 22, 3, 32, // 4: struct sk_buff { int len; char cb[8]; }
        0, 2 << 24, 4,                           // 5: struct sk_buff *
    ];
    crate::btf::Btf::parse(&crate::btf::test_blob(&w, strings)).expect("valid BTF")
}

/// Loads `ctx->skb` into r2, then does `access` through it.
fn through_skb(access: &str) -> VerifyResult {
    super::netfilter_skb_access(&skb_btf(), access)
}

#[test]
fn a_read_may_not_run_past_its_member() {
    // 8 bytes from `len` reach into `cb`.
    assert_rejected(
        &through_skb("r3 = *(u64 *)(r2 + 0x0)"),
        Code::InvalidMemAccess,
        "access beyond the end of member len (mend:4) in struct sk_buff with off 0 size 8",
    );
    // Anywhere inside the array, up to its end.
    assert_accepted(&through_skb("r3 = *(u64 *)(r2 + 0x4)"));
    assert_accepted(&through_skb("w3 = *(u32 *)(r2 + 0x8)"));
}
