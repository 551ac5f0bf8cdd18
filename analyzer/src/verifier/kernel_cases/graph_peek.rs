//! The 6.16 looks into lists and rbtrees (`bpf_list_front`/`_back`, `bpf_rbtree_root`,
//! `_left`, `_right`) and the owned nodes that `bpf_rbtree_remove` and the child looks take
//! from 6.16, on the corpus programs of `corpus/c/kfuncs/graph_peek.bpf.c`: each verdict and
//! message is the live 6.18.44's for the same program (checked without the kernel's BTF).

use crate::elf;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, Verdict, VerifyResult};

const PEEK: &[u8] = include_bytes!("../../../../corpus/c/kfuncs/graph_peek.bpf.o");

fn check_at(name: &str, kernel: KernelVersion) -> VerifyResult {
    let obj = elf::load(PEEK).expect("corpus object loads");
    let prog = obj.program(name).expect("program");
    let rules = prog
        .prog_type()
        .and_then(|t| ProgTypeRules::by_id(t.raw()))
        .expect("rules");
    let opts = Options {
        kernel,
        ..Options::default()
    };
    verify(&Input::new(&obj, prog, rules), &opts)
}

fn check(name: &str) -> VerifyResult {
    check_at(name, KernelVersion::new(6, 18))
}

#[track_caller]
fn rejected(res: &VerifyResult, code: Code, message: &str) {
    assert_eq!(res.verdict, Verdict::Reject, "{:?}", res.violations);
    let v = &res.violations[0];
    assert_eq!((v.code, v.kernel_message.as_str()), (code, message));
}

#[track_caller]
fn accepted(res: &VerifyResult) {
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
}

#[test]
fn looks_into_a_list_and_a_tree_under_the_lock() {
    accepted(&check("list_peek_ends"));
    accepted(&check("rbtree_walk_children"));
}

#[test]
fn a_look_needs_the_lock() {
    rejected(
        &check("list_front_unlocked"),
        Code::SpinLockMisuse,
        "bpf_spin_lock at off=0 must be held for bpf_list_head",
    );
}

#[test]
fn a_looked_at_node_is_gone_after_the_unlock() {
    rejected(
        &check("list_front_after_unlock"),
        Code::InvalidMemAccess,
        "R6 invalid mem access 'scalar'",
    );
}

#[test]
fn remove_and_the_child_looks_take_an_owned_node_from_6_16() {
    accepted(&check("rbtree_remove_of_owned"));
    accepted(&check("rbtree_left_of_owned"));
    // 6.12.118 refuses an owned node in bpf_rbtree_remove (kernel_cases' profile note in
    // graph.rs); the looks do not exist there at all.
    let old = check_at("rbtree_remove_of_owned", KernelVersion::new(6, 12));
    rejected(
        &old,
        Code::HelperArgType,
        "rbtree_remove node input must be non-owning ref",
    );
    let res = check_at("rbtree_left_of_owned", KernelVersion::new(6, 15));
    assert_eq!(res.verdict, Verdict::Reject);
    assert_eq!(res.violations[0].code, Code::HelperNotAllowed);
}

#[test]
fn a_child_look_needs_a_checked_node() {
    rejected(
        &check("rbtree_right_unchecked"),
        Code::HelperArgType,
        "Possibly NULL pointer passed to trusted arg1",
    );
}
