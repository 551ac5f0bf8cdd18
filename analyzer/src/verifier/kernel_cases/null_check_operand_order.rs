//! A NULL check is learnt only with the nullable pointer on the left: `if zero_reg != p` says
//! nothing about `p` to the kernel (verifier_jeq_infer_not_null.c
//! `unchanged_for_jne_true_branch`).

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

/// r7 = a nullable socket; r0 = 0 (a scalar known to be zero); then `cmp`, whose taken edge
/// reads through r7.
fn compare_then_read(cmp: &str) -> String {
    format!(
        "r6 = *(u64 *)(r1 + 0xa8)
         if r6 == 0x0 goto out
         r1 = r6
         call 0x5f
         r7 = r0
         r0 = 0x0
         {cmp}
         goto out
     read:
         w0 = *(u32 *)(r7 + 0x8)
     out:
         r0 = 0x0
         exit"
    )
}

#[test]
fn zero_on_the_left_does_not_check_the_pointer() {
    let res = check(
        "cgroup_skb",
        &[],
        &compare_then_read("if r0 != r7 goto read"),
    );
    assert_rejected(
        &res,
        Code::NullDeref,
        "R7 invalid mem access 'sock_or_null'",
    );
}

#[test]
fn the_pointer_on_the_left_is_checked() {
    let res = check(
        "cgroup_skb",
        &[],
        &compare_then_read("if r7 != r0 goto read"),
    );
    assert_accepted(&res);
}
