//! sched_ext callbacks (`struct sched_ext_ops`) and the `scx_bpf_*` kfuncs. The programs of
//! `corpus/c/sched_ext/` were loaded into Debian's generic 6.18.15 (`scripts/kernel-oracle
//! --kernel 6.18-generic`, CONFIG_SCHED_CLASS_EXT=y; the machine's own kernel has no sched_ext),
//! which gave the verdicts and messages asserted here: the idle cpumask leaked ("BPF_EXIT
//! instruction in main prog would lead to reference leak"), a sleepable kfunc from `dispatch`,
//! a sleepable `enqueue` ("attach to unsupported member"), `dispatch`'s previous task used
//! unchecked (its stub names it `prev__nullable`), the idle cpumask put back twice (the second
//! time the register is a number, and `struct cpumask` is a struct of numbers, so the memory
//! check speaks), a dispatch kfunc from a syscall program; and accepted: a dispatch-only kfunc
//! called from `enqueue` (checked at run time on 6.18). The same instructions run here against
//! a hand-made kernel BTF holding just the types and prototypes they use.

use super::{assert_accepted, assert_rejected};
use crate::btf::Btf;
use crate::isa::text::parse_program;
use crate::isa::{CallTarget, Insn, InsnIdx};
use crate::program::{InsnReloc, RelocTarget};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

/// A kernel BTF with `struct task_struct { int pid; }`, `struct cpumask { u64 bits[1]; }`,
/// `struct sched_ext_ops { enqueue; dispatch; }`, dispatch's stub with `prev__nullable`, five
/// `scx_bpf_*` prototypes and the DSQ iterator (`struct bpf_iter_scx_dsq`, its three kfuncs).
fn scx_btf() -> Btf {
    let mut strings = vec![0u8];
    let mut s = |t: &str| {
        let off = strings.len() as u32;
        strings.extend_from_slice(t.as_bytes());
        strings.push(0);
        off
    };
    let names: Vec<u32> = [
        "int",                          // 0
        "unsigned long long",           // 1
        "task_struct",                  // 2
        "pid",                          // 3
        "cpumask",                      // 4
        "bits",                         // 5
        "sched_ext_ops",                // 6
        "enqueue",                      // 7
        "dispatch",                     // 8
        "sched_ext_ops__dispatch",      // 9
        "cpu",                          // 10
        "prev__nullable",               // 11
        "scx_bpf_get_idle_cpumask",     // 12
        "scx_bpf_put_idle_cpumask",     // 13
        "scx_bpf_dsq_insert",           // 14
        "p",                            // 15
        "dsq_id",                       // 16
        "scx_bpf_create_dsq",           // 17
        "node",                         // 18
        "scx_bpf_dsq_move_to_local",    // 19
        "slice",                        // 20
        "enq_flags",                    // 21
        "bpf_struct_ops_sched_ext_ops", // 22
        "bpf_iter_scx_dsq",             // 23
        "__opaque",                     // 24
        "it",                           // 25
        "flags",                        // 26
        "bpf_iter_scx_dsq_new",         // 27
        "bpf_iter_scx_dsq_next",        // 28
        "bpf_iter_scx_dsq_destroy",     // 29
    ]
    .iter()
    .map(|n| s(n))
    .collect();
    const INT: u32 = 1 << 24;
    const PTR: u32 = 2 << 24;
    const ARRAY: u32 = 3 << 24;
    const STRUCT: u32 = 4 << 24;
    const CONST: u32 = 10 << 24;
    const FUNC: u32 = (12 << 24) | 1; // global linkage
    const PROTO: u32 = 13 << 24;
    let n = |i: usize| names[i];
    #[rustfmt::skip]
    let w: Vec<u32> = vec![
        n(0), INT, 4, (1 << 24) | 32,              // 1: int
        n(1), INT, 8, 64,                          // 2: unsigned long long
        n(2), STRUCT | 1, 8, n(3), 1, 0,           // 3: struct task_struct { int pid; }
        0, PTR, 3,                                 // 4: struct task_struct *
        0, ARRAY, 0, 2, 1, 1,                      // 5: u64[1]
        n(4), STRUCT | 1, 8, n(5), 5, 0,           // 6: struct cpumask { u64 bits[1]; }
        0, CONST, 6,                               // 7: const struct cpumask
        0, PTR, 7,                                 // 8: const struct cpumask *
        0, PROTO | 2, 0, 0, 1, 0, 4,               // 9: void (int, struct task_struct *)
        0, PTR, 9,                                 // 10: dispatch's pointer
        0, PROTO | 2, 0, 0, 4, 0, 2,               // 11: void (struct task_struct *, u64)
        0, PTR, 11,                                // 12: enqueue's pointer
        n(6), STRUCT | 2, 16, n(7), 12, 0, n(8), 10, 64, // 13: struct sched_ext_ops
        0, PROTO | 2, 0, n(10), 1, n(11), 4,       // 14: the dispatch stub's prototype
        n(9), FUNC, 14,                            // 15: sched_ext_ops__dispatch
        0, PROTO, 8,                               // 16: const struct cpumask *(void)
        n(12), FUNC, 16,                           // 17
        0, PROTO | 1, 0, n(4), 8,                  // 18: void (const struct cpumask *)
        n(13), FUNC, 18,                           // 19
        0, PROTO | 4, 0, n(15), 4, n(16), 2, n(20), 2, n(21), 2, // 20: dsq_insert
        n(14), FUNC, 20,                           // 21
        0, PROTO | 2, 1, n(16), 2, n(18), 1,       // 22: int (u64, int)
        n(17), FUNC, 22,                           // 23
        0, PROTO | 1, 1, n(16), 2,                 // 24: int (u64)
        n(19), FUNC, 24,                           // 25
        n(22), STRUCT, 0,                          // 26: the struct_ops map's value type
        0, ARRAY, 0, 2, 1, 6,                      // 27: u64[6]
        n(23), STRUCT | 1, 48, n(24), 27, 0,       // 28: struct bpf_iter_scx_dsq
        0, PTR, 28,                                // 29: struct bpf_iter_scx_dsq *
        0, PROTO | 3, 1, n(25), 29, n(16), 2, n(26), 2, // 30: int (it, u64, u64)
        n(27), FUNC, 30,                           // 31
        0, PROTO | 1, 4, n(25), 29,                // 32: struct task_struct *(it)
        n(28), FUNC, 32,                           // 33
        0, PROTO | 1, 0, n(25), 29,                // 34: void (it)
        n(29), FUNC, 34,                           // 35
    ];
    Btf::parse(&crate::btf::test_blob(&w, &strings)).expect("valid BTF")
}

/// Verifies `src` as the struct_ops program implementing `sched_ext_ops.member` (or as a
/// syscall program when `member` is `None`); its `call kfunc 0` instructions go, in order, to
/// `kfuncs`.
fn check(member: Option<&str>, sleepable: bool, kfuncs: &[&str], src: &str) -> VerifyResult {
    check_on(&scx_btf(), member, sleepable, kfuncs, src)
}

fn check_on(
    btf: &Btf,
    member: Option<&str>,
    sleepable: bool,
    kfuncs: &[&str],
    src: &str,
) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let relocs: Vec<InsnReloc> = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Insn::Call(CallTarget::Kfunc { .. })))
        .zip(kfuncs)
        .map(|((at, _), name)| InsnReloc {
            insn: InsnIdx(at as u32),
            target: RelocTarget::Extern {
                name: (*name).to_string(),
            },
        })
        .collect();
    let target = member.map(|m| format!("sched_ext_ops:{m}"));
    let rules = ProgTypeRules::by_name(if member.is_some() {
        "struct_ops"
    } else {
        "syscall"
    })
    .expect("rules");
    let mut input = Input::bare(&insns, &[], rules, true).with_kernel_btf(Some(btf));
    input.relocs = &relocs;
    input.sleepable = sleepable;
    input.attach_target = target.as_deref();
    verify(&input, &Options::default())
}

const GET: &str = "scx_bpf_get_idle_cpumask";
const ITER_NEW: &str = "bpf_iter_scx_dsq_new";
const ITER_NEXT: &str = "bpf_iter_scx_dsq_next";
const ITER_DESTROY: &str = "bpf_iter_scx_dsq_destroy";

/// corpus/c/sched_ext/dsq_iter.bpf.c: the generic 6.18.15 accepts `di_dispatch`, which walks
/// the queue and destroys its iterator, and refuses `di_iter_leak`, which does not ("BPF_EXIT
/// instruction in main prog would lead to reference leak").
#[test]
fn a_dispatch_queue_iterator_must_be_destroyed() {
    let walk = "r6 = r10
                r6 += -48
                r1 = r6
                r2 = 0
                r3 = 0
                call kfunc 0
                r1 = r6
                call kfunc 0
                r1 = r6
                call kfunc 0
                r0 = 0
                exit";
    let all = [ITER_NEW, ITER_NEXT, ITER_DESTROY];
    assert_accepted(&check(Some("dispatch"), false, &all, walk));
    let leak = "r6 = r10
                r6 += -48
                r1 = r6
                r2 = 0
                r3 = 0
                call kfunc 0
                r1 = r6
                call kfunc 0
                r0 = 0
                exit";
    let res = check(Some("dispatch"), false, &all[..2], leak);
    assert_eq!(
        res.violations.first().map(|v| v.code),
        Some(Code::ReferenceLeak)
    );
    assert!(
        res.violations[0]
            .kernel_message
            .contains("BPF_EXIT instruction in main prog would lead to reference leak"),
        "{:?}",
        res.violations
    );
}
const PUT: &str = "scx_bpf_put_idle_cpumask";

#[test]
fn the_idle_cpumask_must_be_put_back() {
    let leak = "call kfunc 0
                r0 = 0
                exit";
    let res = check(Some("enqueue"), false, &[GET], leak);
    assert_eq!(
        res.violations.first().map(|v| v.code),
        Some(Code::ReferenceLeak)
    );
    assert!(
        res.violations[0]
            .kernel_message
            .contains("BPF_EXIT instruction in main prog would lead to reference leak"),
        "{:?}",
        res.violations
    );
    let balanced = "call kfunc 0
                    r1 = r0
                    call kfunc 0
                    r0 = 0
                    exit";
    assert_accepted(&check(Some("enqueue"), false, &[GET, PUT], balanced));
}

#[test]
fn an_idle_cpumask_put_back_twice_is_a_number_the_second_time() {
    let src = "call kfunc 0
               r6 = r0
               r1 = r6
               call kfunc 0
               r1 = r6
               call kfunc 0
               r0 = 0
               exit";
    assert_rejected(
        &check(Some("enqueue"), false, &[GET, PUT, PUT], src),
        Code::HelperArgType,
        "R1 type=scalar expected=fp",
    );
}

#[test]
fn dispatch_gets_a_previous_task_that_may_be_null() {
    let unchecked = "r1 = *(u64 *)(r1 + 8)
                     w0 = *(u32 *)(r1 + 0)
                     exit";
    assert_rejected(
        &check(Some("dispatch"), false, &[], unchecked),
        Code::NullDeref,
        "R1 invalid mem access 'trusted_ptr_or_null_'",
    );
    let checked = "r1 = *(u64 *)(r1 + 8)
                   if r1 == 0 goto out
                   w0 = *(u32 *)(r1 + 0)
                   out:
                   r0 = 0
                   exit";
    assert_accepted(&check(Some("dispatch"), false, &[], checked));
    // enqueue's task has no `__nullable` in its stub: trusted, used directly.
    assert_accepted(&check(
        Some("enqueue"),
        false,
        &[],
        unchecked.replace("+ 8", "+ 0").as_str(),
    ));
}

#[test]
fn creating_a_queue_sleeps_and_only_some_callbacks_may() {
    let create = "r1 = 7
                  r2 = -1
                  call kfunc 0
                  r0 = 0
                  exit";
    assert_rejected(
        &check(Some("dispatch"), false, &["scx_bpf_create_dsq"], create),
        Code::SleepableHelper,
        "program must be sleepable to call sleepable kfunc scx_bpf_create_dsq",
    );
    assert_rejected(
        &check(Some("enqueue"), true, &[], "r0 = 0\nexit"),
        Code::AttachRefused,
        "attach to unsupported member enqueue of struct sched_ext_ops",
    );
}

#[test]
fn dispatch_kfuncs_are_for_struct_ops_and_their_callback_is_checked_at_run_time() {
    let consume = "r1 = 0
                   call kfunc 0
                   r0 = 0
                   exit";
    let kf = ["scx_bpf_dsq_move_to_local"];
    assert_rejected(
        &check(None, false, &kf, consume),
        Code::HelperNotAllowed,
        "calling kernel function scx_bpf_dsq_move_to_local is not allowed",
    );
    // From enqueue: the 6.18 verifier accepts it (scx_kf_allowed refuses it when it runs).
    assert_accepted(&check(Some("enqueue"), false, &kf, consume));
}

#[test]
fn a_kernel_without_sched_ext_refuses_the_callbacks() {
    // The machine's 6.18 (no CONFIG_SCHED_CLASS_EXT): libbpf finds no struct_ops value type.
    let btf = Btf::parse(&crate::btf::test_blob(&[], b"\0")).expect("empty BTF");
    assert_rejected(
        &check_on(&btf, Some("enqueue"), false, &[], "r0 = 0\nexit"),
        Code::AttachRefused,
        "struct_ops init_kern: struct bpf_struct_ops_sched_ext_ops is not found in kernel BTF",
    );
}
