//! Where a sleepable `fentry.s` program may attach on a kernel built without
//! `CONFIG_FUNCTION_ERROR_INJECTION` (Debian's kernels), as the generic 6.18.15 that
//! `scripts/kernel-oracle --kernel 6.18-generic` boots answers: the selftests'
//! `rcu_read_lock.o` programs on `fentry.s/__x64_sys_getpgid` are refused before verification
//! ("__x64_sys_getpgid is not sleepable"), `percpu_alloc_array.o`'s `test_array_map_10` on
//! `fentry.s/bpf_fentry_test1` (a sleepable modify-return target of the test-run code) is
//! accepted. With the error-injection list bpfvet cannot tell which targets are on it and
//! refuses none.

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::prog_type::AttachType;
use crate::rules::kernel_build::KernelBuild;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

fn sleepable_fentry_on(target: &str, build: KernelBuild) -> VerifyResult {
    let insns = parse_program("r0 = 0x0\n exit").expect("parses");
    let rules = ProgTypeRules::by_name("tracing").expect("program type");
    let mut input = Input::bare(&insns, &[], rules, true);
    input.sleepable = true;
    input.attach = Some(AttachType::TraceFentry);
    input.attach_target = Some(target);
    let opts = Options {
        build,
        ..Options::default()
    };
    verify(&input, &opts)
}

#[test]
fn without_error_injection_a_syscall_is_no_sleepable_target() {
    let debian = KernelBuild {
        error_injection: false,
        ..KernelBuild::default()
    };
    assert_rejected(
        &sleepable_fentry_on("__x64_sys_getpgid", debian.clone()),
        Code::AttachRefused,
        "__x64_sys_getpgid is not sleepable",
    );
    assert_accepted(&sleepable_fentry_on("bpf_fentry_test1", debian));
    assert_accepted(&sleepable_fentry_on(
        "__x64_sys_getpgid",
        KernelBuild::default(),
    ));
}
