//! A size argument that must not be zero (`ARG_CONST_SIZE`, not `_OR_ZERO`) is refused when
//! its range merely includes zero (verifier_helper_value_access.c
//! `access_to_map_possibly_empty_range`; the kernel's line goes on with ": u64=[0,4]").

use super::{assert_accepted, assert_rejected, check};
use crate::program::{MapDef, MapType};
use crate::verifier::violation::Code;

/// bpf_trace_printk(value, value[0] & mask): the size is 0..mask, or 1..mask with `floor`.
fn printk_value(mask: u32, floor: &str) -> String {
    format!(
        "r2 = r10
         r2 += -0x8
         r1 = 0x0
         *(u64 *)(r2 + 0x0) = r1
         ld_pseudo r1, 0x5, 0x0
         call 0x1
         if r0 == 0x0 goto out
         r1 = r0
         r7 = *(u64 *)(r0 + 0x0)
         r7 &= {mask:#x}
         {floor}
         r2 = 0x0
         r2 += r7
         call 0x6
     out:
         exit"
    )
}

fn hash() -> [MapDef; 1] {
    [MapDef::plain("hash", MapType::HASH, 8, 48, 1)]
}

#[test]
fn a_size_that_may_be_zero_is_rejected() {
    let res = check("tracepoint", &hash(), &printk_value(4, ""));
    assert_rejected(
        &res,
        Code::HelperInvalidSize,
        "R2 invalid zero-sized read: u64=[0,4]",
    );
}

#[test]
fn a_size_known_not_to_be_zero_is_accepted() {
    let res = check("tracepoint", &hash(), &printk_value(3, "r7 |= 0x1"));
    assert_accepted(&res);
}
