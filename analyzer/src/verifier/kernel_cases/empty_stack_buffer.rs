//! A stack buffer given to a helper with size zero must still lie inside the frame
//! (verifier_var_off.c `zero_sized_access_max_out_of_bound`, where the kernel says
//! "invalid variable-offset write to stack R1 ...", and so does bpfvet).

use super::{assert_accepted, check};
use crate::verifier::violation::Code;
use crate::verifier::Verdict;

/// bpf_probe_read_kernel(r1, 0, NULL) with r1 computed by `ptr`.
fn read_zero_into(ptr: &str) -> String {
    format!(
        "r0 = 0x0
         *(u64 *)(r10 - 0x10) = r0
         *(u64 *)(r10 - 0x8) = r0
         {ptr}
         r2 = 0x0
         r3 = 0x0
         call 0x71
         exit"
    )
}

#[test]
fn an_empty_buffer_reaching_past_the_frame_is_rejected() {
    let src = read_zero_into("w1 = *(u32 *)(r1 + 0x0)\nr1 &= 0x3f\nr1 += -0x10\nr1 += r10");
    let res = check("kprobe", &[], &src);
    assert_eq!(res.verdict, Verdict::Reject);
    assert_eq!(res.violations[0].code, Code::StackOutOfBounds);
    assert!(res.violations[0]
        .kernel_message
        .starts_with("invalid variable-offset write to stack R1 var_off="));
    // At the frame pointer itself, an empty buffer is outside the frame too.
    let res = check("kprobe", &[], &read_zero_into("r1 = r10"));
    assert_eq!(
        res.violations.first().map(|v| v.code),
        Some(Code::StackOutOfBounds)
    );
}

#[test]
fn an_empty_buffer_inside_the_frame_is_accepted() {
    let src = read_zero_into("r1 = r10\nr1 += -0x8");
    assert_accepted(&check("kprobe", &[], &src));
}
