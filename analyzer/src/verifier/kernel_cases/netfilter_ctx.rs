//! A netfilter program's context holds trusted pointers to kernel structs (`nf_is_valid_access`:
//! `state` is a `struct nf_hook_state *`, `skb` a `struct sk_buff *`), typed by the kernel's
//! BTF, so their fields are readable (verifier_netfilter_ctx.c `with_valid_ctx_access_test6`
//! reads `skb->len` and `state->pf`; the live 6.18 kernel accepts it). A hand-made kernel BTF
//! stands in for vmlinux here.

use super::assert_rejected;
use crate::isa::text::parse_program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, Verdict, VerifyResult};

/// A kernel BTF with `struct sk_buff { int len; }`.
fn skb_btf() -> crate::btf::Btf {
    let mut strings = vec![0u8];
    let mut s = |t: &str| {
        let off = strings.len() as u32;
        strings.extend_from_slice(t.as_bytes());
        strings.push(0);
        off
    };
    let (int, skb, len) = (s("int"), s("sk_buff"), s("len"));
    let w: Vec<u32> = vec![
        int,
        1 << 24,
        4,
        32, // 1: int
        skb,
        (4 << 24) | 1,
        4, // 2: struct sk_buff { int len; }
        len,
        1,
        0,
    ];
    crate::btf::Btf::parse(&crate::btf::test_blob(&w, &strings)).expect("valid BTF")
}

/// Loads `ctx->skb` into r2, then does `access` through it.
fn through_skb(access: &str, btf: Option<&crate::btf::Btf>) -> VerifyResult {
    let src = format!(
        "r2 = *(u64 *)(r1 + 0x8)
         {access}
         r0 = 0x1
         exit"
    );
    let insns = parse_program(&src).expect("parses");
    let rules = ProgTypeRules::by_name("netfilter").expect("program type");
    verify(
        &Input::bare(&insns, &[], rules, true).with_kernel_btf(btf),
        &Options::default(),
    )
}

#[test]
fn the_skb_pointer_reads_its_fields() {
    let btf = skb_btf();
    let res = through_skb("w3 = *(u32 *)(r2 + 0x0)", Some(&btf));
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
}

#[test]
fn without_the_kernel_btf_the_field_is_a_number() {
    assert_rejected(
        &through_skb("w3 = *(u32 *)(r2 + 0x0)", None),
        Code::InvalidMemAccess,
        "R2 invalid mem access 'scalar'",
    );
}

#[test]
fn the_skb_pointer_cannot_be_written_through() {
    let btf = skb_btf();
    let res = through_skb("w3 = 0x0\n*(u32 *)(r2 + 0x0) = w3", Some(&btf));
    assert_eq!(res.verdict, Verdict::Reject);
    assert_eq!(res.violations[0].kernel_message, "only read is supported");
}
