//! Loops the kernel lets run for a bounded but unknown number of iterations: `may_goto` (the
//! `cond_break`/`can_loop` macros) and open-coded iterators' `next`.
//!
//! The kernel (`check_cond_jmp_op`, `is_state_visited`, `widen_imprecise_scalars`) treats a
//! `may_goto` as the head of such a loop: the path that reaches it follows the jump (the loop
//! is left), the fall-through (one more iteration) is queued with `may_goto_depth` one higher
//! and its scalars widened against the previous iteration's state at the same `may_goto`. A
//! later visit of the `may_goto` is then pruned by an earlier iteration's state that is still
//! being explored, if that state covers it and their depths differ: what follows is the same
//! loop, already being checked from a larger state. Two visits with equal depths are not
//! iterations of one `may_goto` loop, so only they take part in the infinite-loop check.
//!
//! A helper that calls a callback synchronously (`bpf_loop`, `bpf_for_each_map_elem`,
//! `bpf_find_vma`, `bpf_user_ringbuf_drain`) is such a loop too, with the call as its head
//! (`push_callback_call`, `prepare_func_exit`): the callback returns to the call, which queues
//! the next run from the state the last one left; a run whose state at the call an earlier run
//! (still being explored) covers is pruned, and `bpf_loop` stops queueing runs at its count's
//! maximum (`callback_depth`). A fault that only a later run meets is thus found.
//!
//! Why this is sound in bpfvet's model: the `may_goto` is a nondeterministic branch, both of
//! whose edges are explored from every state that reaches it, and a state is pruned only by
//! one whose every successor is (or will be) explored; widening only loses information.

use super::precision::Marks;
use super::state::{AbstractState, RegState, StackByte};

/// Whether `cur`, at a `may_goto` (`at_may_goto`), is a later iteration of the loop whose
/// earlier iteration `old` (a checkpoint still being explored at the same instruction) covers
/// it, by `covers(old, cur)`.
pub(super) fn may_goto_iteration_covered(
    at_may_goto: bool,
    old: &AbstractState,
    cur: &AbstractState,
    covers: impl FnOnce(&AbstractState, &AbstractState) -> bool,
) -> bool {
    at_may_goto && old.may_goto_depth != cur.may_goto_depth && covers(old, cur)
}

/// Sets to unknown every scalar of `cur` (registers and spilled slots) whose value differs from
/// the same one in `old`, except those `keep` marks precise in `old` (all are widened when
/// `keep` is `None`).
pub(super) fn widen(old: &AbstractState, keep: Option<&Marks>, cur: &mut AbstractState) {
    fn widen_reg(old: &RegState, cur: &mut RegState, precise: bool) {
        if let (RegState::Scalar { v: vo, .. }, RegState::Scalar { v: vc, .. }) = (old, &*cur) {
            if vo != vc && !precise {
                *cur = RegState::unknown();
            }
        }
    }
    for (f, (fo, fc)) in old.frames.iter().zip(cur.frames.iter_mut()).enumerate() {
        for (r, (ro, rc)) in fo.regs.iter().zip(fc.regs.iter_mut()).enumerate() {
            widen_reg(ro, rc, keep.is_some_and(|m| m.reg(f, r)));
        }
        let slot_marks = keep.map_or(0, |m| m.slots.get(f).copied().unwrap_or(0));
        for (i, (so, sc)) in fo.stack.iter().zip(fc.stack.iter_mut()).enumerate() {
            // Full or narrow spills of the same bytes.
            let spilled = so.bytes.contains(&StackByte::Spill) && so.bytes == sc.bytes;
            if !spilled {
                continue;
            }
            let precise = i < 64 && slot_marks & (1u64 << i) != 0;
            if let (Some(ro), Some(rc)) = (&so.spilled, sc.spilled.as_mut()) {
                widen_reg(ro, rc, precise);
            }
        }
    }
}

/// Whether the kernel explores a synchronous callback's runs until they converge
/// (`push_callback_call`, mainline 6.7, "verify callbacks as if they are called unknown number
/// of times", taken by the 6.6.y stable series). Before, it verified the callback once, like a
/// call, and the caller went on with the stack that one run left: Debian's 6.1.192 accepts the
/// selftests' `verifier_iterating_callbacks` programs whose fault needs a second run
/// (`unsafe_on_zero_iter`, `unsafe_for_each_map_elem`, ...), which 6.12 rejects.
pub(crate) fn callbacks_run_repeatedly(kernel: crate::verifier::env::KernelVersion) -> bool {
    kernel >= crate::verifier::env::KernelVersion::new(6, 6)
}

/// Whether the kernel calls a loop infinite only when a state at an instruction equals, value
/// for value, an ancestor still being explored there (mainline 6.7, "exact states comparison
/// for iterator convergence checks", taken by 6.6.y). Before, the registers of the current
/// function had to be equal (`states_maybe_looping`) but the rest was compared as for pruning:
/// stack slots not yet marked precise compare equal whatever their values, so a loop whose
/// counter lives on the stack and decides no branch yet is "infinite" on its second turn
/// (Debian's 6.1.192 rejects the selftests' `not_an_inifinite_loop`; 6.12 accepts it).
pub(crate) fn exact_loop_check(kernel: crate::verifier::env::KernelVersion) -> bool {
    kernel >= crate::verifier::env::KernelVersion::new(6, 6)
}

/// Whether the helper (by its name without `bpf_`) calls its callback synchronously, any number
/// of times, so that its runs are explored one after another until their states converge (the
/// kernel's `push_callback_call` for every callback that is not async: timers' are not).
pub(crate) fn iterates_callback(helper: &str) -> bool {
    matches!(
        helper,
        "loop" | "for_each_map_elem" | "find_vma" | "user_ringbuf_drain"
    )
}
