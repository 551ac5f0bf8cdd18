//! The `long *res` argument of bpf_strtol/bpf_strtoul (and bpf_get_func_arg/ret,
//! bpf_kallsyms_lookup_name) must be 8-byte aligned, whatever the alignment flags
//! (verifier_int_ptr.c `arg_ptr_to_long_misaligned`).

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

/// bpf_strtol(fp-8, 4, 0, fp-8 + `res_off`), with 12 bytes written from the result slot on.
fn strtol_into(res_off: i32) -> String {
    format!(
        "r7 = r10
         r7 += -0x8
         r0 = 0x303036
         *(u64 *)(r7 + 0x0) = r0
         r1 = r7
         r2 = 0x4
         r3 = 0x0
         r7 += {res_off}
         r0 = 0x0
         *(u32 *)(r7 + 0x0) = w0
         *(u32 *)(r7 + 0x4) = w0
         *(u32 *)(r7 + 0x8) = w0
         r4 = r7
         call 0x6a
         r0 = 0x1
         exit"
    )
}

#[test]
fn a_misaligned_long_result_is_rejected() {
    let res = check("cgroup_sysctl", &[], &strtol_into(-12));
    assert_rejected(
        &res,
        Code::MisalignedAccess,
        "misaligned stack access off 0+-20+0 size 8",
    );
}

#[test]
fn an_aligned_long_result_is_accepted() {
    assert_accepted(&check("cgroup_sysctl", &[], &strtol_into(-16)));
}

/// `to_long_size_sizeof_long`: the result slot at fp-4 runs past the frame. The kernel checks
/// the 8 bytes are writable stack before their alignment; the live 6.18 kernel says so (6.12
/// worded it "invalid indirect access to stack").
#[test]
fn a_long_result_past_the_frame_is_out_of_bounds_before_misaligned() {
    let src = "r7 = r10
         r7 += -0x10
         r0 = 0x303036
         *(u64 *)(r7 + 0x0) = r0
         r1 = r7
         r2 = 0x4
         r3 = 0x0
         r7 += 0xc
         *(u32 *)(r7 + 0x0) = w0
         r4 = r7
         call 0x6a
         r0 = 0x1
         exit";
    assert_rejected(
        &check("cgroup_sysctl", &[], src),
        Code::StackOutOfBounds,
        "invalid write to stack R4 off=-4 size=8",
    );
}
