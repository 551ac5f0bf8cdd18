//! The trust of a pointer loaded from a field of a trusted kernel object (the kernel's
//! `check_ptr_to_btf_access`): inside an RCU read section (every non-sleepable program is in
//! one) a field bpfvet knows no more about is a flagless `ptr_`; in a sleepable program outside
//! `bpf_rcu_read_lock()` it is marked untrusted, and the kernel's log says so with the type's
//! name. The live 6.18 kernel, loading `task->group_leader` from an `iter.s/task` program's
//! trusted task, printed `R1=untrusted_ptr_task_struct()`; `verifier_arena.c` `iter_maps3`
//! expects `untrusted_ptr_bpf_map` for `map->inner_map_meta` in `iter.s/bpf_map`. (The kernel
//! knows some fields keep RCU trust, `group_leader` among them: non-sleepable, it printed
//! `rcu_ptr_task_struct()`; bpfvet has no table of those fields and trusts them less.)
//! A netfilter program's trusted `skb` and a hand-made kernel BTF stand in for the task here.

use crate::diagnostics::explain::{Explainer, Syntax};
use crate::isa::text::parse_program;
use crate::program::Program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::verify_observed;

/// A kernel BTF with `struct sk_buff { struct sk_buff *next; int len; }`.
fn skb_btf() -> crate::btf::Btf {
    let mut strings = vec![0u8];
    let mut s = |t: &str| {
        let off = strings.len() as u32;
        strings.extend_from_slice(t.as_bytes());
        strings.push(0);
        off
    };
    let (int, skb, next, len) = (s("int"), s("sk_buff"), s("next"), s("len"));
    let w: Vec<u32> = vec![
        int,
        1 << 24,
        4,
        32, // 1: int
        skb,
        (4 << 24) | 2,
        16, // 2: struct sk_buff
        next,
        3,
        0, // next: struct sk_buff * at bit 0
        len,
        1,
        64, // len: int at bit 64
        0,
        2 << 24,
        2, // 3: struct sk_buff *
    ];
    crate::btf::Btf::parse(&crate::btf::test_blob(&w, &strings)).expect("valid BTF")
}

/// The kernel-syntax log of `ctx->skb->next->len`, `sleepable` or not.
fn walk_log(sleepable: bool) -> String {
    let btf = skb_btf();
    let insns = parse_program(
        "r2 = *(u64 *)(r1 + 0x8)
         r3 = *(u64 *)(r2 + 0x0)
         w0 = *(u32 *)(r3 + 0x8)
         r0 = 0x1
         exit",
    )
    .expect("parses");
    let prog = Program::from_insns("walk", None, insns.clone());
    let (graph, _) = crate::cfg::build(prog.insns());
    let rules = ProgTypeRules::by_name("netfilter").expect("program type");
    let mut input = Input::bare(&insns, &[], rules, true).with_kernel_btf(Some(&btf));
    input.sleepable = sleepable;
    let mut ex =
        Explainer::new(&prog, &graph, Syntax::Kernel, Vec::new()).with_kernel_btf(Some(&btf));
    verify_observed(&input, &Options::default(), &mut ex);
    ex.finish()
}

#[test]
fn a_walk_in_a_sleepable_program_is_untrusted() {
    let log = walk_log(true);
    assert!(
        log.contains("; R2=trusted_ptr_sk_buff() R3=untrusted_ptr_sk_buff()"),
        "{log}"
    );
}

#[test]
fn a_walk_inside_an_rcu_read_section_is_a_plain_pointer() {
    let log = walk_log(false);
    assert!(
        log.contains("; R2=trusted_ptr_sk_buff() R3=ptr_sk_buff()"),
        "{log}"
    );
}
