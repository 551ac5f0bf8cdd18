//! What a taken `jset` teaches: only a single-bit constant mask is learned set (the kernel's
//! `regs_refine_cond_op`, `BPF_JSET`: `is_power_of_2(val)`); a multi-bit mask teaches nothing,
//! even when only one of its bits could be set. The not-taken edge clears the mask's bits.
//! bpfvet's domain could learn more; learning more than the kernel lets a loop that exits on
//! such a test end in bpfvet while the kernel runs out of its budget
//! (`verifier_search_pruning` `short_loop1`), and prunes edges the kernel explores.

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

/// `r1` is 0 or 2 (`len & 2`); on the taken edge of `r1 & MASK`, the path where `r1` is still
/// 0 reads above the frame: reached unless the edge taught that bit 1 is set.
fn taken_edge_then_zero_check(mask: &str) -> String {
    format!(
        "r1 = *(u32 *)(r1 + 0x0)
         r1 &= 0x2
         if r1 & {mask} goto +0x2
         r0 = 0x0
         exit
         if r1 != 0x0 goto +0x1
         r0 = *(u64 *)(r10 + 0x8)
         r0 = 0x0
         exit"
    )
}

#[test]
fn a_single_bit_mask_is_learned_set() {
    assert_accepted(&check(
        "socket_filter",
        &[],
        &taken_edge_then_zero_check("0x2"),
    ));
}

#[test]
fn a_multi_bit_mask_teaches_nothing_even_with_one_candidate_bit() {
    // Only bit 1 of 0x3 can be set in r1, but the kernel does not look: r1 == 0 stays possible
    // on the taken edge, and the read above the frame is reached.
    // The live 6.18 kernel, loading the same instructions: accepts with mask 0x2 and, with 0x3,
    // "invalid read from stack R10 off=8 size=8" at insn 6.
    assert_rejected(
        &check("socket_filter", &[], &taken_edge_then_zero_check("0x3")),
        Code::StackOutOfBounds,
        "invalid read from stack R10 off=8 size=8",
    );
}
