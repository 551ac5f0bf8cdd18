//! Allocated objects, lists, rbtrees and kptr stashes (`kfunc/alloc.rs`, `kfunc/graph.rs`,
//! `kptr_xchg.rs`), on the corpus programs of `corpus/c/kfuncs/alloc_list.bpf.c` and
//! `alloc_rbtree_kptr.bpf.c`: each message is the one Linux 6.18 printed for the program (the
//! objects are checked without the kernel's BTF, which these kfuncs do not need here).

use crate::elf;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, Verdict, VerifyResult};

const LIST: &[u8] = include_bytes!("../../../../corpus/c/kfuncs/alloc_list.bpf.o");
const RBTREE: &[u8] = include_bytes!("../../../../corpus/c/kfuncs/alloc_rbtree_kptr.bpf.o");

fn check_at(object: &[u8], name: &str, kernel: KernelVersion) -> VerifyResult {
    let obj = elf::load(object).expect("corpus object loads");
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

fn check(object: &[u8], name: &str) -> VerifyResult {
    check_at(object, name, KernelVersion::new(6, 18))
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
fn an_object_goes_through_a_list_under_its_lock() {
    accepted(&check(LIST, "list_roundtrip"));
}

#[test]
fn a_push_needs_the_lock_beside_the_head() {
    rejected(
        &check(LIST, "list_push_unlocked"),
        Code::SpinLockMisuse,
        "bpf_spin_lock at off=0 must be held for bpf_list_head",
    );
}

#[test]
fn a_pushed_object_is_gone_after_the_unlock() {
    rejected(
        &check(LIST, "list_use_after_unlock"),
        Code::InvalidMemAccess,
        "R6 invalid mem access 'scalar'",
    );
}

#[test]
fn an_object_must_be_freed() {
    let res = check(LIST, "obj_leak");
    assert_eq!(res.violations[0].code, Code::ReferenceLeak);
    assert!(res.violations[0]
        .kernel_message
        .contains("Unreleased reference id=1"));
}

#[test]
fn a_freed_object_is_a_number() {
    rejected(
        &check(LIST, "obj_use_after_drop"),
        Code::InvalidMemAccess,
        "R6 invalid mem access 'scalar'",
    );
}

#[test]
fn list_nodes_are_not_written_directly() {
    rejected(
        &check(LIST, "obj_touch_node"),
        Code::InvalidMemAccess,
        "direct access to bpf_list_node is disallowed",
    );
}

#[test]
fn a_refcounted_object_is_added_to_a_tree_and_kept() {
    accepted(&check(RBTREE, "rbtree_add_acquired"));
    // The owning node of a refcounted type may be passed to bpf_rbtree_remove.
    accepted(&check(RBTREE, "rbtree_remove_owned"));
}

#[test]
fn an_object_is_stashed_in_a_kptr_field() {
    accepted(&check(RBTREE, "kptr_stash_swap"));
}

#[test]
fn rbtree_first_needs_the_lock() {
    rejected(
        &check(RBTREE, "rbtree_first_unlocked"),
        Code::SpinLockMisuse,
        "bpf_spin_lock at off=0 must be held for bpf_rb_root",
    );
}

#[test]
fn the_kfuncs_follow_their_releases() {
    // bpf_refcount_acquire_impl and the `_impl` pushes arrived in 6.4.
    let res = check_at(RBTREE, "rbtree_add_acquired", KernelVersion::new(6, 3));
    assert_eq!(res.verdict, Verdict::Reject);
    assert_eq!(res.violations[0].code, Code::HelperNotAllowed);
}
