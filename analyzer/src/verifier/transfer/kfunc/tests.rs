//! Iterator kfuncs: the kernel's verdicts and messages on small programs, convergence of a loop
//! over `bpf_iter_num_next` without unrolling, and the soundness of the widening that makes it
//! converge.

use crate::isa::text::parse_program;
use crate::isa::{Insn, InsnIdx};
use crate::program::{InsnReloc, RelocTarget};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, Verdict, VerifyResult};

/// Verifies `src`, whose `call kfunc 0` instructions go, in order, to `names`.
fn check(src: &str, names: &[&str]) -> VerifyResult {
    check_with(src, names, true, &Options::default())
}

fn check_with(src: &str, names: &[&str], gpl: bool, opts: &Options) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let calls = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Insn::Call(crate::isa::CallTarget::Kfunc { .. })))
        .map(|(at, _)| InsnIdx(at as u32));
    let relocs: Vec<InsnReloc> = calls
        .zip(names)
        .map(|(insn, name)| InsnReloc {
            insn,
            target: RelocTarget::Extern {
                name: (*name).to_string(),
            },
        })
        .collect();
    let rules = ProgTypeRules::by_name("raw_tracepoint").expect("rules");
    let mut input = Input::bare(&insns, &[], rules, gpl);
    input.relocs = &relocs;
    verify(&input, opts)
}

const NEW: &str = "bpf_iter_num_new";
const NEXT: &str = "bpf_iter_num_next";
const DESTROY: &str = "bpf_iter_num_destroy";

/// The first finding's code and kernel message.
fn first(res: &VerifyResult) -> (Code, &str) {
    let v = res.violations.first().expect("a finding");
    (v.code, v.kernel_message.as_str())
}

/// `sum += *v` over `new(&it, 0, n)` with `n` unknown: accepted, in a few dozen steps.
const SUM_LOOP: &str = "
    r3 = *(u64 *)(r1 + 8)
    r3 &= 255
    r7 = 0
    r1 = r10
    r1 += -8
    r2 = 0
    call kfunc 0
loop:
    r1 = r10
    r1 += -8
    call kfunc 0
    if r0 == 0 goto done
    r1 = *(u32 *)(r0 + 0)
    r7 += r1
    goto loop
done:
    r1 = r10
    r1 += -8
    call kfunc 0
    r0 = 0
    exit
";

#[test]
fn a_loop_over_next_converges_instead_of_unrolling() {
    let res = check(SUM_LOOP, &[NEW, NEXT, DESTROY]);
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
    // The sum's bounds grow each iteration: without widening it would never be covered and
    // the loop would run into the budget.
    assert!(
        res.stats.processed < 100,
        "{} processed",
        res.stats.processed
    );
}

#[test]
fn the_element_is_read_only_and_only_four_bytes() {
    let write = SUM_LOOP.replace("r1 = *(u32 *)(r0 + 0)", "*(u32 *)(r0 + 0) = 1");
    assert_eq!(
        check(&write, &[NEW, NEXT, DESTROY]).verdict,
        Verdict::Reject
    );
    let wide = SUM_LOOP.replace("r1 = *(u32 *)(r0 + 0)", "r1 = *(u64 *)(r0 + 0)");
    assert_eq!(check(&wide, &[NEW, NEXT, DESTROY]).verdict, Verdict::Reject);
}

#[test]
fn next_on_an_iterator_never_created_is_the_kernels_error() {
    let src = "r1 = r10\nr1 += -8\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(src, &[NEXT]);
    assert_eq!(
        first(&res),
        (
            Code::HelperArgType,
            "expected an initialized iter_num as arg #0"
        )
    );
}

#[test]
fn a_second_new_on_an_active_iterator_is_the_kernels_error() {
    let src = "r1 = r10\nr1 += -8\nr2 = 0\nr3 = 4\ncall kfunc 0\n\
               r1 = r10\nr1 += -8\nr2 = 0\nr3 = 4\ncall kfunc 0\n\
               r1 = r10\nr1 += -8\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(src, &[NEW, NEW, DESTROY]);
    assert_eq!(
        first(&res),
        (
            Code::HelperArgType,
            "expected uninitialized iter_num as arg #0"
        )
    );
}

#[test]
fn an_iterator_not_destroyed_leaks_its_reference() {
    let src = "r1 = r10\nr1 += -8\nr2 = 0\nr3 = 4\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(src, &[NEW]);
    let (code, msg) = first(&res);
    assert_eq!(code, Code::ReferenceLeak);
    assert!(
        msg.starts_with("Unreleased reference id=1 alloc_insn=4"),
        "{msg}"
    );
}

#[test]
fn a_store_over_the_iterator_destroys_it() {
    let src = "r1 = r10\nr1 += -8\nr2 = 0\nr3 = 4\ncall kfunc 0\n\
               r1 = 0\n*(u64 *)(r10 - 8) = r1\n\
               r1 = r10\nr1 += -8\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(src, &[NEW, NEXT]);
    assert_eq!(
        first(&res),
        (
            Code::HelperArgType,
            "expected an initialized iter_num as arg #0"
        )
    );
}

#[test]
fn the_element_pointer_dies_with_the_iterator() {
    let src = "r1 = r10\nr1 += -8\nr2 = 0\nr3 = 4\ncall kfunc 0\n\
               r1 = r10\nr1 += -8\ncall kfunc 0\nif r0 == 0 goto out\nr6 = r0\n\
               r1 = r10\nr1 += -8\ncall kfunc 0\nr0 = *(u32 *)(r6 + 0)\nexit\n\
               out:\nr1 = r10\nr1 += -8\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(src, &[NEW, NEXT, DESTROY, DESTROY]);
    assert_eq!(res.verdict, Verdict::Reject);
    assert_eq!(res.violations[0].insn, InsnIdx(13), "{:?}", res.violations);
}

#[test]
fn a_counter_widened_by_the_loop_is_not_trusted_as_an_offset() {
    // r6 counts iterations and indexes a 16-byte stack buffer: any bound on it is lost to the
    // widening (the iterator's range is not tracked), so the store must be rejected.
    let src = "r6 = 0\nr1 = r10\nr1 += -8\nr2 = 0\nr3 = 4\ncall kfunc 0\n\
               loop:\nr1 = r10\nr1 += -8\ncall kfunc 0\nif r0 == 0 goto done\n\
               if r6 > 15 goto done\nr2 = r10\nr2 += -24\nr2 += r6\nr1 = 0\n\
               *(u8 *)(r2 + 0) = r1\nr6 += 1\ngoto loop\n\
               done:\nr1 = r10\nr1 += -8\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(src, &[NEW, NEXT, DESTROY]);
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
    let unchecked = src.replace("if r6 > 15 goto done\n", "");
    let res = check(&unchecked, &[NEW, NEXT, DESTROY]);
    assert_eq!(res.verdict, Verdict::Reject);
}

#[test]
fn other_kfuncs_are_unsupported_by_name() {
    let src = "r1 = 1\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(src, &["bpf_wq_init"]);
    assert_eq!(res.violations[0].code, Code::UnsupportedHelper);
    assert!(res.violations[0].message.contains("bpf_wq_init"));
    // In the table, but raw tracepoints are outside the kernel's tracing kfunc hook.
    let res = check(src, &["bpf_task_from_pid"]);
    assert_eq!(
        first(&res),
        (
            Code::HelperNotAllowed,
            "calling kernel function bpf_task_from_pid is not allowed"
        )
    );
    let res = check(src, &[]);
    assert_eq!(res.violations[0].code, Code::UnsupportedHelper);
}

#[test]
fn iterators_need_linux_6_4_and_a_gpl_license() {
    let names = [NEW, NEXT, DESTROY];
    let res = check_with(SUM_LOOP, &names, false, &Options::default());
    assert_eq!(res.violations[0].code, Code::GplOnlyHelper);
    let old = Options {
        kernel: crate::verifier::env::KernelVersion::new(6, 1),
        ..Options::default()
    };
    let res = check_with(SUM_LOOP, &names, true, &old);
    assert_eq!(res.violations[0].code, Code::HelperNotAllowed);
    let res = check_with(SUM_LOOP, &names, true, &Options::default());
    assert_eq!(res.verdict, Verdict::Accept);
}

#[test]
fn a_later_iteration_that_changes_a_pointer_offset_is_checked_again() {
    // The loop body reads fp+r7 only when r6 == 42, and otherwise sets r7 = -600 (outside the
    // frame) for the next iteration: the state at `next` with r7 = -600 is not covered by the
    // first iteration's (r7 = -16), so the read is checked with the new offset and fails.
    let src = "r1 = 0\n*(u64 *)(r10 - 16) = r1\nr7 = -16\ncall 7\nr6 = r0\n\
               r1 = r10\nr1 += -8\nr2 = 0\nr3 = 10\ncall kfunc 0\n\
               loop:\nr1 = r10\nr1 += -8\ncall kfunc 0\nif r0 == 0 goto done\n\
               if r6 != 42 goto other\nr0 = r10\nr0 += r7\nr8 = *(u64 *)(r0 + 0)\ngoto loop\n\
               other:\nr7 = -600\ncall 7\nr6 = r0\ngoto loop\n\
               done:\nr1 = r10\nr1 += -8\ncall kfunc 0\nr0 = 0\nexit";
    let res = check(src, &[NEW, NEXT, DESTROY]);
    assert_eq!(
        res.verdict,
        Verdict::Reject,
        "accepted an out-of-frame read"
    );
    let safe = src.replace("r7 = -600", "r7 = -16");
    let res = check(&safe, &[NEW, NEXT, DESTROY]);
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
}

/// A kernel BTF with `struct task_struct` and the prototypes of three task kfuncs:
/// `bpf_task_from_pid(int)`, `bpf_task_acquire(task *)`, `bpf_task_release(task *)`.
fn task_kernel_btf() -> crate::btf::Btf {
    let mut strings = vec![0u8];
    let mut s = |t: &str| {
        let off = strings.len() as u32;
        strings.extend_from_slice(t.as_bytes());
        strings.push(0);
        off
    };
    let (int, task, pid, p) = (s("int"), s("task_struct"), s("pid"), s("p"));
    let (from_pid, acquire, release) = (
        s("bpf_task_from_pid"),
        s("bpf_task_acquire"),
        s("bpf_task_release"),
    );
    let hdr = |name: u32, kind: u32, vlen: u32, size_or_type: u32| {
        [name, (kind << 24) | vlen, size_or_type]
    };
    let mut w: Vec<u32> = Vec::new();
    w.extend(hdr(int, 1, 0, 4)); // 1: int
    w.push((1 << 24) | 32);
    w.extend(hdr(task, 4, 1, 4)); // 2: struct task_struct { int pid; }
    w.extend([pid, 1, 0]);
    w.extend(hdr(0, 2, 0, 2)); // 3: struct task_struct *
    w.extend(hdr(0, 13, 1, 3)); // 4: task *(int pid)
    w.extend([pid, 1]);
    w.extend(hdr(from_pid, 12, 1, 4)); // 5: bpf_task_from_pid
    w.extend(hdr(0, 13, 1, 3)); // 6: task *(task *p)
    w.extend([p, 3]);
    w.extend(hdr(acquire, 12, 1, 6)); // 7: bpf_task_acquire
    w.extend(hdr(0, 13, 1, 0)); // 8: void (task *p)
    w.extend([p, 3]);
    w.extend(hdr(release, 12, 1, 8)); // 9: bpf_task_release
    crate::btf::Btf::parse(&crate::btf::test_blob(&w, &strings)).expect("valid BTF")
}

/// Verifies `src` as a syscall program against the hand-made kernel BTF.
fn check_task(src: &str, names: &[&str], prog_type: &str) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let calls = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Insn::Call(crate::isa::CallTarget::Kfunc { .. })))
        .map(|(at, _)| InsnIdx(at as u32));
    let relocs: Vec<InsnReloc> = calls
        .zip(names)
        .map(|(insn, name)| InsnReloc {
            insn,
            target: RelocTarget::Extern {
                name: (*name).to_string(),
            },
        })
        .collect();
    let btf = task_kernel_btf();
    let rules = ProgTypeRules::by_name(prog_type).expect("rules");
    let mut input = Input::bare(&insns, &[], rules, true).with_kernel_btf(Some(&btf));
    input.relocs = &relocs;
    verify(&input, &Options::default())
}

const FROM_PID_RELEASE: &str = "r1 = 1\ncall kfunc 0\nif r0 == 0 goto out\n\
    r1 = r0\ncall kfunc 0\nout:\nr0 = 0\nexit";

#[test]
fn an_acquired_task_released_on_every_path_is_accepted() {
    let res = check_task(
        FROM_PID_RELEASE,
        &["bpf_task_from_pid", "bpf_task_release"],
        "syscall",
    );
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
}

#[test]
fn an_acquired_task_not_released_leaks() {
    let src = "r1 = 1\ncall kfunc 0\nr0 = 0\nexit";
    let res = check_task(src, &["bpf_task_from_pid"], "syscall");
    assert_eq!(res.violations[0].code, Code::ReferenceLeak);
    assert!(res.violations[0].message.contains("bpf_task_from_pid"));
}

#[test]
fn a_result_that_may_be_null_is_not_a_trusted_argument() {
    let src = "r1 = 1\ncall kfunc 0\nr1 = r0\ncall kfunc 0\nr0 = 0\nexit";
    let res = check_task(src, &["bpf_task_from_pid", "bpf_task_acquire"], "syscall");
    assert_eq!(
        first(&res),
        (
            Code::HelperArgType,
            "Possibly NULL pointer passed to trusted arg0"
        )
    );
}

#[test]
fn releasing_what_holds_no_reference_is_the_kernels_error() {
    // A number where the task should be: not even a pointer.
    let res = check_task(
        "r1 = 5\ncall kfunc 0\nr0 = 0\nexit",
        &["bpf_task_release"],
        "syscall",
    );
    assert_eq!(res.violations[0].code, Code::HelperArgType);
    // The task after its release: the reference is gone, the register is a number.
    let src = "r1 = 1\ncall kfunc 0\nif r0 == 0 goto out\nr6 = r0\n\
               r1 = r0\ncall kfunc 0\nr1 = r6\ncall kfunc 0\nout:\nr0 = 0\nexit";
    let res = check_task(
        src,
        &["bpf_task_from_pid", "bpf_task_release", "bpf_task_release"],
        "syscall",
    );
    assert_eq!(res.verdict, Verdict::Reject);
}

#[test]
fn a_scalar_argument_must_not_be_a_pointer() {
    let res = check_task(
        "r1 = r10\ncall kfunc 0\nr0 = 0\nexit",
        &["bpf_task_from_pid"],
        "syscall",
    );
    assert_eq!(first(&res), (Code::HelperArgType, "R1 is not a scalar"));
}

#[test]
fn a_kfunc_the_kernel_btf_lacks_is_refused_as_libbpf_would() {
    // bpf_task_from_vpid is in the table (Linux 6.13) but not in this kernel's BTF.
    let res = check_task(
        "r1 = 1\ncall kfunc 0\nr0 = 0\nexit",
        &["bpf_task_from_vpid"],
        "syscall",
    );
    assert_eq!(res.violations[0].code, Code::HelperNotAllowed);
    assert!(res.violations[0]
        .kernel_message
        .contains("not found in kernel or module BTFs"));
}

#[test]
fn program_types_outside_the_kfunc_hook_may_not_call_it() {
    let res = check_task(
        FROM_PID_RELEASE,
        &["bpf_task_from_pid", "bpf_task_release"],
        "socket_filter",
    );
    assert_eq!(
        first(&res),
        (
            Code::HelperNotAllowed,
            "calling kernel function bpf_task_from_pid is not allowed"
        )
    );
}

/// RCU read sections: the kernel's messages for a section left open, an unlock with no lock and
/// a nested lock (confirmed on 6.18 by `corpus/c/kfuncs/rcu_sections.bpf.c`), and a matched
/// pair accepted.
#[test]
fn rcu_read_sections_must_be_matched_and_not_nested() {
    const LOCK: &str = "bpf_rcu_read_lock";
    const UNLOCK: &str = "bpf_rcu_read_unlock";
    let pair = "call kfunc 0\n call kfunc 0\n r0 = 0\n exit";
    let res = check(pair, &[LOCK, UNLOCK]);
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);

    let open = check("call kfunc 0\n r0 = 0\n exit", &[LOCK]);
    assert_eq!(
        first(&open),
        (
            Code::HelperNotAllowed,
            "BPF_EXIT instruction in main prog cannot be used inside bpf_rcu_read_lock-ed region"
        )
    );
    let unmatched = check("call kfunc 0\n r0 = 0\n exit", &[UNLOCK]);
    assert_eq!(
        first(&unmatched).1,
        "unmatched rcu read unlock (kernel function bpf_rcu_read_unlock)"
    );
    let nested = check(
        "call kfunc 0\n call kfunc 0\n call kfunc 0\n call kfunc 0\n r0 = 0\n exit",
        &[LOCK, LOCK, UNLOCK, UNLOCK],
    );
    assert_eq!(
        first(&nested).1,
        "nested rcu read lock (kernel function bpf_rcu_read_lock)"
    );
}

/// Interrupt state saved and restored on a stack word: each message is Linux 6.18's for the
/// same program in `corpus/c/kfuncs/irq_flags.bpf.c`.
const SAVE: &str = "bpf_local_irq_save";
const RESTORE: &str = "bpf_local_irq_restore";

#[test]
fn irq_saves_pair_with_restores_latest_first() {
    // save(fp-8); save(fp-16); restore(first); restore(second).
    let program = |first: i32, second: i32| {
        format!(
            "r1 = r10\nr1 += -8\ncall kfunc 0\nr1 = r10\nr1 += -16\ncall kfunc 0\n\
             r1 = r10\nr1 += {first}\ncall kfunc 0\nr1 = r10\nr1 += {second}\ncall kfunc 0\n\
             r0 = 0\nexit"
        )
    };
    let names = [SAVE, SAVE, RESTORE, RESTORE];
    assert_eq!(check(&program(-16, -8), &names).verdict, Verdict::Accept);
    // Restoring the first save while the second is in effect.
    assert_eq!(
        first(&check(&program(-8, -16), &names)),
        (
            Code::HelperArgType,
            "cannot restore irq state out of order, expected id=2 acquired at insn_idx=5"
        )
    );
}

#[test]
fn an_exit_with_irqs_saved_and_a_store_over_the_flag_are_refused() {
    let leak = "r1 = r10\nr1 += -8\ncall kfunc 0\nr0 = 0\nexit";
    assert_eq!(
        first(&check(leak, &[SAVE])),
        (
            Code::ReferenceLeak,
            "BPF_EXIT instruction in main prog cannot be used inside bpf_local_irq_save-ed region"
        )
    );
    let overwritten = "r1 = r10\nr1 += -8\ncall kfunc 0\nr1 = 0\n*(u64 *)(r10 - 8) = r1\n\
                       r1 = r10\nr1 += -8\ncall kfunc 0\nr0 = 0\nexit";
    assert_eq!(
        first(&check(overwritten, &[SAVE, RESTORE])),
        (
            Code::HelperArgType,
            "expected an initialized irq flag as arg#0"
        )
    );
    let read = "r1 = r10\nr1 += -8\ncall kfunc 0\nr0 = *(u64 *)(r10 - 8)\n\
                r1 = r10\nr1 += -8\ncall kfunc 0\nexit";
    assert_eq!(
        first(&check(read, &[SAVE, RESTORE])),
        (
            Code::InvalidMemAccess,
            "invalid read from stack off -8+0 size 8"
        )
    );
}
