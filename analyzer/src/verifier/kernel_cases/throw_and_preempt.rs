//! `bpf_throw` and `bpf_preempt_disable`/`_enable` on paths, with the kernel's words (each
//! message as the live 6.18 kernel printed it for the corpus programs `kfuncs/exceptions.bpf.c`
//! and `kfuncs/preempt.bpf.c`; the 6.12 counts as that release's selftests preempt_lock.c
//! expect them): preemption left disabled at an exit or a throw, an enable with nothing
//! disabled, and the cookie a throw returns without an exception callback.

use super::assert_rejected;
use crate::isa::text::parse_program;
use crate::isa::{CallTarget, Insn, InsnIdx};
use crate::program::{InsnReloc, RelocTarget};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, Verdict, VerifyResult};

/// Verifies `src` as a GPL program of type `prog_type` on `kernel`, its `call kfunc 0`
/// instructions going, in order, to `names`.
fn check(prog_type: &str, kernel: KernelVersion, src: &str, names: &[&str]) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let relocs: Vec<InsnReloc> = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Insn::Call(CallTarget::Kfunc { .. })))
        .zip(names)
        .map(|((at, _), name)| InsnReloc {
            insn: InsnIdx(at as u32),
            target: RelocTarget::Extern {
                name: (*name).to_string(),
            },
        })
        .collect();
    let rules = ProgTypeRules::by_name(prog_type).expect("rules");
    let mut input = Input::bare(&insns, &[], rules, true);
    input.relocs = &relocs;
    let opts = Options {
        kernel,
        ..Options::default()
    };
    verify(&input, &opts)
}

const LATEST: KernelVersion = KernelVersion::LATEST;
const DISABLE: &str = "bpf_preempt_disable";
const ENABLE: &str = "bpf_preempt_enable";
const THROW: &str = "bpf_throw";

#[test]
fn balanced_preemption_is_accepted() {
    let src = "call kfunc 0\ncall kfunc 0\ncall kfunc 0\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(
        "raw_tracepoint",
        LATEST,
        src,
        &[DISABLE, DISABLE, ENABLE, ENABLE],
    );
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
}

#[test]
fn exit_with_preemption_disabled_is_rejected() {
    let src = "call kfunc 0\ncall kfunc 0\ncall kfunc 0\nr0 = 0\nexit";
    let names = [DISABLE, DISABLE, ENABLE];
    let res = check("raw_tracepoint", LATEST, src, &names);
    assert_rejected(
        &res,
        Code::HelperNotAllowed,
        "BPF_EXIT instruction in main prog cannot be used inside bpf_preempt_disable-ed region",
    );
    // Linux 6.12 counts what is missing.
    let res = check("raw_tracepoint", KernelVersion::new(6, 12), src, &names);
    assert_rejected(
        &res,
        Code::HelperNotAllowed,
        "1 bpf_preempt_enable is missing",
    );
    let two = "call kfunc 0\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(
        "raw_tracepoint",
        KernelVersion::new(6, 12),
        two,
        &[DISABLE, DISABLE],
    );
    assert_rejected(
        &res,
        Code::HelperNotAllowed,
        "2 bpf_preempt_enable(s) are missing",
    );
}

#[test]
fn enable_without_disable_is_rejected() {
    let src = "call kfunc 0\nr0 = 0\nexit";
    let res = check("raw_tracepoint", LATEST, src, &[ENABLE]);
    assert_rejected(
        &res,
        Code::HelperNotAllowed,
        "unmatched attempt to enable preemption (kernel function bpf_preempt_enable)",
    );
}

#[test]
fn preemption_kfuncs_need_6_10() {
    let src = "call kfunc 0\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(
        "raw_tracepoint",
        KernelVersion::new(6, 9),
        src,
        &[DISABLE, ENABLE],
    );
    assert_eq!(res.verdict, Verdict::Reject);
    assert_eq!(res.violations[0].code, Code::HelperNotAllowed);
}

#[test]
fn throw_with_preemption_disabled_is_rejected() {
    let src = "call kfunc 0\nr1 = 0\ncall kfunc 0\ncall kfunc 0\nr0 = 0\nexit";
    let res = check("sched_cls", LATEST, src, &[DISABLE, THROW, ENABLE]);
    assert_rejected(
        &res,
        Code::HelperNotAllowed,
        "bpf_throw cannot be used inside bpf_preempt_disable-ed region",
    );
}

#[test]
fn a_throw_ends_the_path() {
    // Nothing after the throw runs: the read of r9, never written, is not reached.
    let src = "r1 = 0\ncall kfunc 0\nr0 = r9\nexit";
    let res = check("sched_cls", LATEST, src, &[THROW]);
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
}

#[test]
fn the_default_cookie_must_be_a_valid_return_value() {
    let throw = |cookie: u32| format!("r1 = {cookie}\ncall kfunc 0\nr0 = 1\nexit");
    let ok = check("cgroup_skb", LATEST, &throw(1), &[THROW]);
    assert_eq!(ok.verdict, Verdict::Accept, "{:?}", ok.violations);
    let res = check("cgroup_skb", LATEST, &throw(5), &[THROW]);
    assert_rejected(
        &res,
        Code::ReturnOutOfRange,
        "At program exit the register R1 has smin=5 smax=5 should have been in [0, 1]",
    );
}

#[test]
fn throw_needs_6_7() {
    let src = "r1 = 0\ncall kfunc 0\nr0 = 0\nexit";
    let res = check("sched_cls", KernelVersion::new(6, 6), src, &[THROW]);
    assert_eq!(res.verdict, Verdict::Reject);
    assert_eq!(res.violations[0].code, Code::HelperNotAllowed);
    let res = check("sched_cls", KernelVersion::new(6, 7), src, &[THROW]);
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
}
