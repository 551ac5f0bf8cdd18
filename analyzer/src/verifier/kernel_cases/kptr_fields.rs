//! Kptr fields of map values and allocated objects (`transfer/kptr_access.rs`), on the corpus
//! programs of `corpus/c/kfuncs/kptr_fields.bpf.c`: bpfvet read a kptr field as plain bytes of
//! the value, so a plain store into a referenced kptr, a 4-byte read of one, a helper writing
//! over one and a direct read of an allocated object's kptr were all accepted. Each message is
//! the one Linux 6.18 printed for the program. The objects are checked without the kernel's
//! BTF, which these checks do not need (a load then gives a number; with the BTF it gives the
//! RCU-protected object, which `tests/kernel_corpus.rs` checks against the live kernel).

use crate::elf;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, Verdict, VerifyResult};

const KPTRS: &[u8] = include_bytes!("../../../../corpus/c/kfuncs/kptr_fields.bpf.o");

fn check_at(name: &str, kernel: KernelVersion) -> VerifyResult {
    let obj = elf::load(KPTRS).expect("corpus object loads");
    let prog = obj.program(name).expect("program");
    let rules = prog
        .prog_type()
        .and_then(|t| ProgTypeRules::by_id(t.raw()))
        .expect("rules");
    let mut input = Input::new(&obj, prog, rules);
    input.sleepable = true;
    let opts = Options {
        kernel,
        ..Options::default()
    };
    verify(&input, &opts)
}

#[track_caller]
fn rejected(name: &str, code: Code, message: &str) {
    let res = check_at(name, KernelVersion::new(6, 18));
    assert_eq!(res.verdict, Verdict::Reject, "{:?}", res.violations);
    let v = &res.violations[0];
    assert_eq!((v.code, v.kernel_message.as_str()), (code, message));
}

#[test]
fn only_bpf_kptr_xchg_changes_a_referenced_kptr() {
    rejected(
        "kptr_plain_store",
        Code::InvalidMemAccess,
        "store to referenced kptr disallowed",
    );
}

#[test]
fn a_kptr_is_read_whole() {
    rejected(
        "kptr_partial_read",
        Code::InvalidMemAccess,
        "kptr access size must be BPF_DW",
    );
}

#[test]
fn a_helper_may_not_touch_a_kptr() {
    rejected(
        "kptr_helper_write",
        Code::InvalidMemAccess,
        "kptr cannot be accessed indirectly by helper",
    );
}

#[test]
fn an_allocated_objects_kptr_is_not_read_directly() {
    rejected(
        "alloc_kptr_direct",
        Code::InvalidMemAccess,
        "direct access to kptr is disallowed",
    );
}

#[test]
fn bpf_refcount_acquire_needs_a_refcount() {
    rejected(
        "refcount_without_field",
        Code::HelperArgType,
        "arg#0 doesn't point to a type with bpf_refcount field",
    );
    // A type with no special field at all has no record in the kernel.
    rejected(
        "refcount_plain_type",
        Code::HelperArgType,
        "verifier bug: Couldn't find btf_record",
    );
}
