//! An LSM program's return value is an int: the kernel (6.11 on, `return_32bit`) judges the
//! low 32 bits as a signed int against the hook's range. The selftests' `iters_css_task.o`
//! `iter_css_task_for_each` (lsm/file_mprotect) ends with `w0 = -1` (`return -EPERM`), 64-bit
//! 0xffffffff, and the generic 6.18.15 that `scripts/kernel-oracle --kernel 6.18-generic`
//! boots accepts it; a 1 is outside [-4095, 0] either way.

use super::{assert_accepted, assert_rejected};
use crate::btf::Btf;
use crate::isa::text::parse_program;
use crate::prog_type::AttachType;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

/// A kernel BTF with one LSM hook, `bpf_lsm_file_mprotect`, returning int.
fn hook_btf() -> Btf {
    let strings = b"\0int\0bpf_lsm_file_mprotect\0";
    let words = [
        // [1] int: signed, 32 bits
        1,
        1 << 24,
        4,
        (1 << 24) | 32,
        // [2] int (void): a prototype returning [1]
        0,
        13 << 24,
        1,
        // [3] bpf_lsm_file_mprotect, of prototype [2]
        5,
        12 << 24,
        2,
    ];
    Btf::parse(&crate::btf::test_blob(&words, strings)).expect("valid BTF")
}

fn lsm_returning(body: &str) -> VerifyResult {
    let btf = hook_btf();
    let insns = parse_program(body).expect("parses");
    let rules = ProgTypeRules::by_name("lsm").expect("program type");
    let mut input = Input::bare(&insns, &[], rules, true).with_kernel_btf(Some(&btf));
    input.attach = Some(AttachType::LsmMac);
    input.attach_target = Some("file_mprotect");
    verify(&input, &Options::default())
}

#[test]
fn an_lsm_hook_result_is_judged_as_an_int() {
    assert_accepted(&lsm_returning("w0 = -0x1\n exit"));
    assert_rejected(
        &lsm_returning("r0 = 0x1\n exit"),
        Code::ReturnOutOfRange,
        "At program exit the register R0 has smin=1 smax=1 should have been in [-4095, 0]",
    );
}
