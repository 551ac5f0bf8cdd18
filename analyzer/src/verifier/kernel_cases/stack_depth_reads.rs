//! Every in-bounds stack access grows the frame, reads included (the kernel's
//! `check_stack_access_within_bounds` ends in `grow_stack_state`): a privileged program that
//! reads never-written stack uses that stack, and it counts toward the 512 bytes a call chain
//! may use. bpfvet counted only written slots, so it accepted a chain the kernel refuses. The
//! live 6.18 kernel, loading the same instructions, reports `stack depth 16` for the shallow
//! read and refuses the deep one with the message below (`verifier_basic_stack.c`
//! `uninitialized_stack1` expects `stack depth 8` for a helper reading fp-8).

use super::{assert_rejected, check};
use crate::verifier::violation::Code;
use crate::verifier::Verdict;

#[test]
fn a_read_of_never_written_stack_counts_toward_the_depth() {
    let res = check(
        "socket_filter",
        &[],
        "r0 = *(u64 *)(r10 - 0x10)
         r0 = 0x0
         exit",
    );
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
    assert_eq!(res.stack_depth, [16]);
}

#[test]
fn a_deep_read_and_a_callee_exceed_the_combined_stack() {
    let res = check(
        "socket_filter",
        &[],
        "r0 = *(u64 *)(r10 - 0x200)
         call pc+0x2
         r0 = 0x0
         exit
         r1 = 0x0
         *(u64 *)(r10 - 0x8) = r1
         r0 = 0x0
         exit",
    );
    assert_rejected(
        &res,
        Code::CombinedStackTooLarge,
        "combined stack size of 2 calls is 528. Too large",
    );
}
