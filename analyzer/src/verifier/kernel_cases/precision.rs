//! Precision and stack liveness must never let a checkpoint prune a state whose difference
//! matters. Each program joins two paths at a checkpoint: the first path explored is safe, the
//! second differs from it only in a scalar (or a stack slot) that decides safety later. If
//! that scalar were left imprecise (or the slot dead) at the join, the second path would be
//! pruned and the program accepted; the live kernel (6.18) rejects every one of them with the
//! message asserted. The objects were assembled with `llvm-mc -triple bpf` from the same text
//! and loaded with `bpfvet kernel`. The last test shows the gain: a loop whose result is only
//! returned (no range to check) is not unrolled into every combination. The narrow-spill pair
//! at the end was assembled and loaded the same way (rejected, and accepted without the
//! offset).

use super::{assert_accepted, assert_rejected, check};
use crate::verifier::violation::Code;

/// A scalar added to a stack pointer (the kernel's `adjust_ptr_min_max_vals` marks it).
#[test]
fn a_pointer_offset_is_precise() {
    let src = "call 0x7
        r6 = 0x10
        if r0 == 0x0 goto +0x1
        r6 = 0x0
        r2 = r10
        r2 += -0x8
        r2 += r6
        r0 = 0x0
        *(u64 *)(r2 + 0x0) = r0
        exit";
    let res = check("socket_filter", &[], src);
    assert_rejected(
        &res,
        Code::StackOutOfBounds,
        "invalid write to stack R2 off=8 size=8",
    );
}

/// A helper's size argument (`ARG_CONST_SIZE`).
#[test]
fn a_helper_size_is_precise() {
    let src = "call 0x7
        r6 = 0x40
        if r0 == 0x0 goto +0x1
        r6 = 0x8
        r1 = r10
        r1 += -0x8
        r2 = r6
        r3 = 0x0
        call 0x71
        r0 = 0x0
        exit";
    let res = check("kprobe", &[], src);
    assert_rejected(
        &res,
        Code::StackOutOfBounds,
        "invalid write to stack R1 off=-8 size=64",
    );
}

/// A branch whose outcome the value decided: the other edge was never explored.
#[test]
fn a_decided_branch_is_precise() {
    let src = "call 0x7
        r6 = 0x1
        if r0 == 0x0 goto +0x1
        r6 = 0x0
        if r6 == 0x0 goto +0x2
        r0 = *(u64 *)(r6 + 0x0)
        exit
        r0 = 0x0
        exit";
    let res = check("socket_filter", &[], src);
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "R6 invalid mem access 'scalar'",
    );
}

/// A return value the program type restricts.
#[test]
fn a_checked_return_value_is_precise() {
    let src = "call 0x7
        r6 = 0x5
        if r0 == 0x0 goto +0x1
        r6 = 0x1
        r0 = r6
        exit";
    let res = check("cgroup_skb", &[], src);
    assert_rejected(
        &res,
        Code::ReturnOutOfRange,
        "At program exit the register R0 has smin=5 smax=5 should have been in [0, 1]",
    );
}

/// A spilled scalar filled and then used as an offset: the slot is precise at the join.
#[test]
fn a_spilled_offset_is_precise() {
    let src = "call 0x7
        if r0 == 0x0 goto +0x3
        r6 = 0x0
        *(u64 *)(r10 - 0x10) = r6
        goto +0x2
        r6 = 0x10
        *(u64 *)(r10 - 0x10) = r6
        r6 = 0x0
        r7 = *(u64 *)(r10 - 0x10)
        r2 = r10
        r2 += -0x8
        r2 += r7
        r0 = 0x0
        *(u64 *)(r2 + 0x0) = r0
        exit";
    let res = check("socket_filter", &[], src);
    assert_rejected(
        &res,
        Code::StackOutOfBounds,
        "invalid write to stack R2 off=8 size=8",
    );
}

/// A slot read after the join is live there: a spilled context pointer does not cover a
/// spilled number.
#[test]
fn a_slot_read_later_is_live() {
    let src = "r6 = r1
        call 0x7
        if r0 == 0x0 goto +0x2
        *(u64 *)(r10 - 0x8) = r6
        goto +0x2
        r1 = 0x0
        *(u64 *)(r10 - 0x8) = r1
        r1 = *(u64 *)(r10 - 0x8)
        r0 = *(u32 *)(r1 + 0x0)
        r0 = 0x0
        exit";
    let res = check("socket_filter", &[], src);
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "R1 invalid mem access 'scalar'",
    );
}

/// An argument used as an offset inside a static subprogram: the walk crosses the call.
#[test]
fn a_callee_offset_is_precise_in_the_caller() {
    let src = "call 0x7
        r1 = 0x10
        if r0 == 0x0 goto +0x1
        r1 = 0x0
        call pc+0x2
        r0 = 0x0
        exit
        r2 = r10
        r2 += -0x8
        r2 += r1
        r0 = 0x0
        *(u64 *)(r2 + 0x0) = r0
        exit";
    let res = check("socket_filter", &[], src);
    assert_rejected(
        &res,
        Code::StackOutOfBounds,
        "invalid write to stack R2 off=8 size=8",
    );
}

/// A value returned by a static subprogram and used as an offset: the walk crosses the exit
/// into the callee and the call back into the caller.
#[test]
fn a_returned_offset_is_precise_in_the_caller() {
    let src = "call 0x7
        r1 = 0x10
        if r0 == 0x0 goto +0x1
        r1 = 0x0
        call pc+0x7
        r2 = r10
        r2 += -0x8
        r2 += r0
        r0 = 0x0
        *(u64 *)(r2 + 0x0) = r0
        r0 = 0x0
        exit
        r0 = r1
        exit";
    let res = check("socket_filter", &[], src);
    assert_rejected(
        &res,
        Code::StackOutOfBounds,
        "invalid write to stack R2 off=8 size=8",
    );
}

/// The kernel's `loop4.c` (`combinations`): `ret |= 1 << i` for twenty iterations under an
/// unknown condition. `ret` is only returned, and a socket filter's return value is not
/// checked, so it stays imprecise and each iteration's two paths meet in one checkpoint:
/// the kernel processed 449 instructions of this text (bpfvet 164); exploring every
/// combination would take over 1M.
#[test]
fn an_imprecise_result_does_not_multiply_paths() {
    let src = "r0 = 0x0
        r2 = 0x0
        r3 = 0x1
        r4 = *(u32 *)(r1 + 0x0)
        if r4 == 0x0 goto +0x3
        r5 = r3
        r5 <<= r2
        r0 |= r5
        r2 += 0x1
        if r2 < 0x14 goto -0x7
        exit";
    let res = check("socket_filter", &[], src);
    assert_accepted(&res);
    assert!(
        res.stats.processed < 2000,
        "processed {}",
        res.stats.processed
    );
}

/// Recorded register liveness: a checkpoint (J, insn 9) whose only path below was pruned by
/// an older complete checkpoint (K, insn 12) must inherit what K's paths read (r7, through
/// the load at 12). The last path reaches J with r7 a number: pruned there only if r7 were
/// taken for dead, and then accepted. The kernel: "R7 invalid mem access 'scalar'".
#[test]
fn a_register_read_below_a_pruning_checkpoint_is_live() {
    let src = "call 0x7
        r6 = r0
        r7 = r10
        r7 += -0x8
        r1 = 0x0
        *(u64 *)(r10 - 0x8) = r1
        if r6 == 0x2 goto +0x3
        if r6 == 0x1 goto +0x1
        goto +0x3
        goto +0x2
        r7 = 0x0
        goto -0x3
        r0 = *(u64 *)(r7 + 0x0)
        r0 = 0x0
        exit";
    let res = check("socket_filter", &[], src);
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "R7 invalid mem access 'scalar'",
    );
}

/// Recorded register liveness across a call: the caller reads its r7 after a static call
/// whose callee writes its own r7. The callee's write says nothing of the caller's register
/// (register marks are kept per frame), so the checkpoint at the call (insn 10, reached first
/// with r7 a stack pointer) keeps r7 live and the path that reaches it with r7 a number is not
/// pruned. The kernel (the subprogram in `.text`, called by `call sub`): "R7 invalid mem access
/// 'scalar'".
#[test]
fn a_callee_write_does_not_kill_the_callers_register() {
    let src = "call 0x7
        if r0 == 0x0 goto +0x5
        r7 = r10
        r7 += -0x8
        r1 = 0x0
        *(u64 *)(r10 - 0x8) = r1
        goto +0x3
        r7 = 0x0
        r1 = 0x0
        *(u64 *)(r10 - 0x8) = r1
        call pc+0x3
        r0 = *(u64 *)(r7 + 0x0)
        r0 = 0x0
        exit
        r7 = 0x0
        r0 = 0x0
        exit";
    let res = check("socket_filter", &[], src);
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "R7 invalid mem access 'scalar'",
    );
}

/// Narrow spills at the join: a one-byte spill of 0 (over a slot of plain bytes) and a
/// four-byte spill of 16. Old spilled bytes must be spilled in cur, but cur may have spilled
/// more (the kernel's `stacksafe` compares byte types, then the spilled registers): the one
/// byte read back becomes a stack offset, so the old 0 is precise and does not cover 16.
const NARROW_SPILLS: &str = "call 0x7
    *(u64 *)(r10 - 0x10) = r0
    if r0 == 0x0 goto +0x3
    w6 = 0x0
    *(u8 *)(r10 - 0x10) = w6
    goto +0x2
    w6 = 0x10
    *(u32 *)(r10 - 0x10) = w6
    r6 = 0x0
    r7 = *(u8 *)(r10 - 0x10)
    r2 = r10
    r2 += -0x8
    r2 += r7
    r0 = 0x0
    *(u64 *)(r2 + 0x0) = r0
    exit";

#[test]
fn a_narrow_spill_read_as_an_offset_is_precise() {
    let res = check("socket_filter", &[], NARROW_SPILLS);
    assert_rejected(
        &res,
        Code::StackOutOfBounds,
        "invalid write to stack R2 off=8 size=8",
    );
}

/// The same join when the byte read back decides nothing (the kernel accepts it): the
/// imprecise one-byte spill covers the wider one, so the second path is pruned at the join
/// (16 processed; 22 when it is walked to the end, as the kernel, which makes no checkpoint
/// there, does).
#[test]
fn an_imprecise_narrow_spill_covers_a_wider_one() {
    let res = check(
        "socket_filter",
        &[],
        &NARROW_SPILLS.replace("r2 += r7\n", ""),
    );
    assert_accepted(&res);
    assert_eq!(res.stats.processed, 16);
}
