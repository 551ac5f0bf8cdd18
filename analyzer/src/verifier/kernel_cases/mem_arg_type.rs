//! A memory argument that may not be NULL is refused as a number even when its size is zero
//! (verifier_helper_access_var_len.c `ptr_to_mem_or_null_8`; the kernel's list of expected
//! types goes on with ", ringbuf_mem, buf, trusted_ptr_").

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

#[test]
fn null_with_size_zero_for_a_non_nullable_buffer_is_rejected() {
    // bpf_probe_read_kernel(NULL, 0, NULL)
    let src = "r1 = 0x0\nr2 = 0x0\nr3 = 0x0\ncall 0x71\nexit";
    let res = check("kprobe", &[], src);
    assert_rejected(
        &res,
        Code::HelperArgType,
        "R1 type=scalar expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    );
}

#[test]
fn null_with_size_zero_for_a_nullable_buffer_is_accepted() {
    // bpf_csum_diff(NULL, 0, NULL, 0, 0)
    let src = "r1 = 0x0\nr2 = 0x0\nr3 = 0x0\nr4 = 0x0\nr5 = 0x0\ncall 0x1c\nr0 = 0x0\nexit";
    assert_accepted(&check("sched_cls", &[], src));
}
