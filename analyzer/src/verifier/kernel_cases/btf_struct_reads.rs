//! Reads through a kernel object that no member of its struct answers (the kernel's
//! `btf_struct_walk`): part of a pointer member, and the padding between members. bpfvet gave
//! both a number. The live 6.18 kernel, reading `task_struct` through a `tp_btf/sched_switch`
//! program's trusted `prev` (and through an untrusted task in an `iter.s/task` program), said
//! "cannot access ptr member last_wakee with moff 88 in struct task_struct with off 92 size 4"
//! (also for 1-byte reads, and for the `void *stack` member) and "struct task_struct doesn't
//! have field at offset 76" for the hole after `wakee_flips`. A hand-made kernel BTF stands in
//! for vmlinux: `struct sk_buff { int len; /* 4 bytes of padding */ struct sk_buff *next; }`
//! reached through a netfilter program's trusted `skb`.

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

fn skb_btf() -> crate::btf::Btf {
    let strings = b"\0int\0sk_buff\0len\0next\0";
    #[rustfmt::skip]
    let w: Vec<u32> = vec![
        1, 1 << 24, 4, (1 << 24) | 32,                 // 1: int
        5, (4 << 24) | 2, 16, 13, 1, 0, 17, 3, 64,     // 2: struct sk_buff { int len; struct sk_buff *next; }
        0, 2 << 24, 2,                                 // 3: struct sk_buff *
    ];
    crate::btf::Btf::parse(&crate::btf::test_blob(&w, strings)).expect("valid BTF")
}

/// Loads `ctx->skb` into r2, then does `access` through it.
fn through_skb(access: &str) -> VerifyResult {
    super::netfilter_skb_access(&skb_btf(), access)
}

#[test]
fn a_pointer_member_is_read_whole() {
    assert_rejected(
        &through_skb("w3 = *(u32 *)(r2 + 0xc)"),
        Code::InvalidMemAccess,
        "cannot access ptr member next with moff 8 in struct sk_buff with off 12 size 4",
    );
    assert_rejected(
        &through_skb("w3 = *(u8 *)(r2 + 0x8)"),
        Code::InvalidMemAccess,
        "cannot access ptr member next with moff 8 in struct sk_buff with off 8 size 1",
    );
    assert_accepted(&through_skb("r3 = *(u64 *)(r2 + 0x8)"));
}

#[test]
fn padding_is_no_field() {
    assert_rejected(
        &through_skb("w3 = *(u32 *)(r2 + 0x4)"),
        Code::InvalidMemAccess,
        "struct sk_buff doesn't have field at offset 4",
    );
    assert_rejected(
        &through_skb("w3 = *(u8 *)(r2 + 0x5)"),
        Code::InvalidMemAccess,
        "struct sk_buff doesn't have field at offset 5",
    );
    assert_accepted(&through_skb("w3 = *(u32 *)(r2 + 0x0)"));
}

#[test]
fn an_untrusted_pointer_is_held_to_its_members_too() {
    // A sleepable program outside an RCU read section: `skb->next` is marked untrusted. The
    // live 6.18 refused a read past a member's end through an `untrusted_ptr_task_struct`.
    let btf = skb_btf();
    let insns = parse_program(
        "r2 = *(u64 *)(r1 + 0x8)
         r2 = *(u64 *)(r2 + 0x8)
         r3 = *(u64 *)(r2 + 0x0)
         r0 = 0x1
         exit",
    )
    .expect("parses");
    let rules = ProgTypeRules::by_name("netfilter").expect("program type");
    let mut input = Input::bare(&insns, &[], rules, true).with_kernel_btf(Some(&btf));
    input.sleepable = true;
    assert_rejected(
        &verify(&input, &Options::default()),
        Code::InvalidMemAccess,
        "access beyond the end of member len (mend:4) in struct sk_buff with off 0 size 8",
    );
}
