//! A helper argument typed as a kernel object (`ARG_PTR_TO_BTF_ID`: `bpf_get_task_stack`'s
//! task, `bpf_sock_from_file`'s file, ...) takes a flagless, trusted or RCU kernel pointer and
//! nothing else (the kernel's `btf_ptr_types`). Two unsound accepts, confirmed on the live 6.18
//! kernel with an `iter.s/task` program that passes `bpf_get_task_stack`:
//! - `task->group_leader` walked in a sleepable program outside `bpf_rcu_read_lock()`, which
//!   the kernel marks untrusted: "R1 type=untrusted_ptr_ expected=ptr_, trusted_ptr_,
//!   rcu_ptr_" (the same walk in a non-sleepable `iter/task` program is accepted);
//! - a stack buffer: "R1 type=fp expected=ptr_, trusted_ptr_, rcu_ptr_".
//!
//! bpfvet accepted both: it took any pointer there. A hand-made kernel BTF with
//! `struct task_struct { struct task_struct *group_leader; }` and the current task
//! (`bpf_get_current_task_btf`, trusted) stand in for the iterator's task.

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::verify;
use crate::verifier::violation::Code;
use crate::verifier::VerifyResult;

/// A kernel BTF with `struct task_struct { struct task_struct *group_leader; }`.
fn task_btf() -> crate::btf::Btf {
    let mut strings = vec![0u8];
    let mut s = |t: &str| {
        let off = strings.len() as u32;
        strings.extend_from_slice(t.as_bytes());
        strings.push(0);
        off
    };
    let (task, leader) = (s("task_struct"), s("group_leader"));
    let w: Vec<u32> = vec![
        task,
        (4 << 24) | 1,
        8, // 1: struct task_struct
        leader,
        2,
        0, // group_leader: struct task_struct * at bit 0
        0,
        2 << 24,
        1, // 2: struct task_struct *
    ];
    crate::btf::Btf::parse(&crate::btf::test_blob(&w, &strings)).expect("valid BTF")
}

/// `bpf_get_task_stack(ARG, fp-32, 32, 0)` after `setup`, which leaves the argument in r1, in a
/// tracing program, `sleepable` or not.
fn task_stack(setup: &str, sleepable: bool) -> VerifyResult {
    let btf = task_btf();
    let src = format!(
        "{setup}
         r2 = r10
         r2 += -0x20
         r3 = 0x20
         r4 = 0x0
         call 0x8d
         r0 = 0x0
         exit"
    );
    let insns = parse_program(&src).expect("parses");
    let rules = ProgTypeRules::by_name("tracing").expect("program type");
    let mut input = Input::bare(&insns, &[], rules, true).with_kernel_btf(Some(&btf));
    input.sleepable = sleepable;
    verify(&input, &Options::default())
}

const CURRENT: &str = "call 0x9e
    r1 = r0";
const LEADER: &str = "call 0x9e
    r1 = *(u64 *)(r0 + 0x0)";
const STACK: &str = "r1 = 0x0
    *(u64 *)(r10 - 0x40) = r1
    r1 = r10
    r1 += -0x40";

#[test]
fn a_pointer_walked_outside_an_rcu_read_section_is_refused() {
    assert_rejected(
        &task_stack(LEADER, true),
        Code::HelperArgType,
        "R1 type=untrusted_ptr_ expected=ptr_, trusted_ptr_, rcu_ptr_",
    );
}

#[test]
fn a_walked_pointer_inside_one_and_a_trusted_pointer_are_taken() {
    assert_accepted(&task_stack(LEADER, false));
    assert_accepted(&task_stack(CURRENT, true));
}

#[test]
fn a_stack_pointer_is_not_a_kernel_object() {
    assert_rejected(
        &task_stack(STACK, false),
        Code::HelperArgType,
        "R1 type=fp expected=ptr_, trusted_ptr_, rcu_ptr_",
    );
}

/// `bpf_this_cpu_ptr` takes a per-CPU kernel object (`ARG_PTR_TO_PERCPU_BTF_ID`), which a
/// number never is: dynptr_fail.c `dynptr_invalidate_slice_or_null` passes a slice it NULL
/// checked no further, and the live 6.18 kernel says "R1 type=scalar expected=percpu_ptr_,
/// percpu_rcu_ptr_, percpu_trusted_ptr_" (bpfvet said `unsupported-helper`).
#[test]
fn a_number_is_no_per_cpu_object() {
    let res = super::check(
        "raw_tracepoint",
        &[],
        "r1 = 0x0\n call 0x9a\n r0 = 0x0\n exit",
    );
    assert_rejected(
        &res,
        Code::HelperArgType,
        "R1 type=scalar expected=percpu_ptr_, percpu_rcu_ptr_, percpu_trusted_ptr_",
    );
}
