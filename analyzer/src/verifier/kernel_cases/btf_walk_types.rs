//! What a load through a kernel object yields, by where the pointer member sits and what it
//! points to (the kernel's `btf_struct_walk` and `btf_struct_access`):
//!
//! - read through a union of more than one member, a struct pointer is marked untrusted
//!   (Linux 6.4 on): the live 6.18 refused tp_btf/tcp_probe's `skb->next`, which sits in
//!   sk_buff's leading union, as a helper argument with "R1 type=untrusted_ptr_ expected=ptr_,
//!   trusted_ptr_, rcu_ptr_" (corpus/c/btf_walk/union_walk.bpf.c);
//! - a pointer member to no struct (`void *stack`) is read-only untrusted memory of size 0
//!   from Linux 6.17 on (a number before): the live 6.18 accepted loads through a task's
//!   `stack` at offset 100000 and at a random offset, refused a store with "R1 cannot write
//!   into rdonly_untrusted_mem", and followed both ways of a NULL check
//!   (corpus/c/btf_walk/untrusted_mem.bpf.c).
//!
//! A hand-made kernel BTF stands in for vmlinux: `struct sk_buff { union { struct sk_buff
//! *next; long scratch; }; void *stack; int len; }`, reached through a netfilter program's
//! trusted `skb`.

use super::{assert_accepted, assert_rejected};
use crate::diagnostics::explain::{Explainer, Syntax};
use crate::isa::text::parse_program;
use crate::program::Program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, verify_observed, VerifyResult};

const K612: KernelVersion = KernelVersion::new(6, 12);
const K618: KernelVersion = KernelVersion::new(6, 18);

fn skb_btf() -> crate::btf::Btf {
    let strings = b"\0int\0long\0sk_buff\0next\0scratch\0stack\0len\0";
    #[rustfmt::skip]
    let w: Vec<u32> = vec![
        1, 1 << 24, 4, (1 << 24) | 32,                          // 1: int
        5, 1 << 24, 8, (1 << 24) | 64,                          // 2: long
        10, (4 << 24) | 3, 24, 0, 4, 0, 31, 6, 64, 37, 1, 128,  // 3: struct sk_buff
        0, (5 << 24) | 2, 8, 18, 5, 0, 23, 2, 0,                // 4: union { next; scratch; }
        0, 2 << 24, 3,                                          // 5: struct sk_buff *
        0, 2 << 24, 0,                                          // 6: void *
    ];
    crate::btf::Btf::parse(&crate::btf::test_blob(&w, strings)).expect("valid BTF")
}

/// Loads `ctx->skb` into r2, then runs `body` (which ends the program).
fn source(body: &str) -> String {
    format!("r2 = *(u64 *)(r1 + 0x8)\n{body}")
}

fn check(kernel: KernelVersion, body: &str) -> VerifyResult {
    let btf = skb_btf();
    let insns = parse_program(&source(body)).expect("parses");
    let rules = ProgTypeRules::by_name("netfilter").expect("program type");
    let opts = Options {
        kernel,
        ..Options::default()
    };
    verify(
        &Input::bare(&insns, &[], rules, true).with_kernel_btf(Some(&btf)),
        &opts,
    )
}

/// The kernel-syntax log of `body`.
fn log(kernel: KernelVersion, body: &str) -> String {
    let btf = skb_btf();
    let insns = parse_program(&source(body)).expect("parses");
    let prog = Program::from_insns("walk", None, insns.clone());
    let (graph, _) = crate::cfg::build(prog.insns());
    let rules = ProgTypeRules::by_name("netfilter").expect("program type");
    let input = Input::bare(&insns, &[], rules, true).with_kernel_btf(Some(&btf));
    let opts = Options {
        kernel,
        ..Options::default()
    };
    let mut ex =
        Explainer::new(&prog, &graph, Syntax::Kernel, Vec::new()).with_kernel_btf(Some(&btf));
    verify_observed(&input, &opts, &mut ex);
    ex.finish()
}

const NEXT: &str = "r3 = *(u64 *)(r2 + 0x0)
     r0 = 0x1
     exit";

#[test]
fn a_pointer_read_through_a_union_is_untrusted() {
    for k in [K612, K618] {
        let log = log(k, NEXT);
        assert!(log.contains("R3=untrusted_ptr_sk_buff()"), "{k:?}: {log}");
    }
    // Outside the union nothing changes: `len` through the untrusted `next` is a number.
    assert_accepted(&check(
        K618,
        "r3 = *(u64 *)(r2 + 0x0)
         w0 = *(u32 *)(r3 + 0x10)
         w0 &= 0x1
         exit",
    ));
}

const STACK: &str = "r3 = *(u64 *)(r2 + 0x8)
     r0 = 0x1
     exit";

#[test]
fn a_void_pointer_member_is_untrusted_memory_from_6_17() {
    let log618 = log(K618, STACK);
    assert!(log618.contains("R3=rdonly_untrusted_mem(sz=0)"), "{log618}");
    let log612 = log(K612, STACK);
    assert!(log612.contains("R3=scalar"), "{log612}");
}

#[test]
fn untrusted_memory_reads_at_any_offset() {
    let far = "r3 = *(u64 *)(r2 + 0x8)
         r3 += 0x186a0
         w0 = *(u8 *)(r3 + 0x0)
         w0 &= 0x1
         exit";
    assert_accepted(&check(K618, far));
    assert_rejected(
        &check(K612, far),
        Code::InvalidMemAccess,
        "R3 invalid mem access 'scalar'",
    );
    // An unknown offset, and the offset kept by `scalar += ptr`.
    assert_accepted(&check(
        K618,
        "r6 = r2
         call 0x7
         r3 = *(u64 *)(r6 + 0x8)
         r3 += r0
         r4 = 0x0
         r4 += r3
         w0 = *(u8 *)(r4 + 0x10)
         w0 &= 0x1
         exit",
    ));
}

#[test]
fn untrusted_memory_is_read_only() {
    assert_rejected(
        &check(
            K618,
            "r3 = *(u64 *)(r2 + 0x8)
             r0 = 0x0
             *(u8 *)(r3 + 0x0) = r0
             exit",
        ),
        Code::WriteToReadOnly,
        "R3 cannot write into rdonly_untrusted_mem",
    );
}

#[test]
fn untrusted_memory_may_be_null() {
    // Both ways of the NULL check are followed: the bad exit on the NULL side is found (a
    // pointer known not to be NULL would leave that side unexplored, and the program
    // accepted).
    assert_rejected(
        &check(
            K618,
            "r3 = *(u64 *)(r2 + 0x8)
             r0 = 0x1
             if r3 != 0x0 goto +0x1
             r0 = 0x2
             exit",
        ),
        Code::ReturnOutOfRange,
        "At program exit the register R0 has smin=2 smax=2 should have been in [0, 1]",
    );
}
