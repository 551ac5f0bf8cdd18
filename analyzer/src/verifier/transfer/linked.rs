//! Scalars linked with a constant delta (the kernel's `BPF_ADD_CONST`): after `r1 = r0;
//! r1 += 10`, r1 keeps r0's id with the delta +10, so that a branch that bounds one bounds the
//! other, moved by the delta (`sync_linked_regs`). Compilers emit this for loop counters
//! (`i + 1` computed before the `i < N` test) and for offsets checked after they are formed.
//!
//! The invariant, per id: there is one value `C` such that a member with `Delta::Same` is `C`,
//! one with `Add64(d)` is `C + d` (64 bits, wrapping) and one with `Add32(d)` is the 32-bit sum
//! `C + d` zero-extended. An `Add32` member is made only from a member known to fit in 32 bits,
//! so in a group that has one, `C` fits in 32 bits: the zero-extended difference gives it back.

use crate::isa::{AluOp, Width};
use crate::verifier::domain::Scalar;
use crate::verifier::env::KernelVersion;
use crate::verifier::stack::DerivedSlots;
use crate::verifier::state::{AbstractState, Delta, RegState, StackSlot};

/// 6.11 ("bpf: Track delta between \"linked\" registers"): `rX += K` on a linked register, 64
/// bits, `0 <= K <= S32_MAX`, privileged loads only.
const ADD_CONST: KernelVersion = KernelVersion::new(6, 11);
/// Subtraction, negative constants and 32-bit additions link too, and a delta applied at a
/// branch is followed by the bounds' reduction: the live 6.18 kernel checked here does all of
/// it (its loads of the probe programs in `kernel_cases/linked_delta.rs`); the Debian 6.12
/// kernel does none of it.
const SUB_AND_ALU32: KernelVersion = KernelVersion::new(6, 18);

/// The link of `dst` after `dst op= src`: `(id, delta)`, `(0, Same)` when it is lost. `dst`
/// was `(value before, id, delta)`; `src` is the operand's value.
pub(super) fn after_alu(
    (privileged, kernel): (bool, KernelVersion),
    op: AluOp,
    width: Width,
    (before, id, delta): (&Scalar, u32, Delta),
    src: &Scalar,
) -> (u32, Delta) {
    const UNLINKED: (u32, Delta) = (0, Delta::Same);
    if !privileged || kernel < ADD_CONST || id == 0 || !matches!(op, AluOp::Add | AluOp::Sub) {
        return UNLINKED;
    }
    let newer = kernel >= SUB_AND_ALU32;
    let off = match width {
        Width::W64 => {
            let Some(val) = src.as_const() else {
                return UNLINKED;
            };
            if newer {
                match i32::try_from(val as i64) {
                    Ok(off) => off,
                    Err(_) => return UNLINKED,
                }
            } else if op == AluOp::Add && val <= i32::MAX as u64 {
                val as i32
            } else {
                return UNLINKED;
            }
        }
        Width::W32 => {
            // The 32-bit sum of a value wider than 32 bits would not be `C + d` of anything
            // the other members know.
            let Some(val) = src.as_const32().filter(|_| newer) else {
                return UNLINKED;
            };
            if before.umax() > u64::from(u32::MAX) {
                return UNLINKED;
            }
            val as i32
        }
    };
    let off = if op == AluOp::Sub {
        match off.checked_neg() {
            Some(n) => n,
            None => return UNLINKED,
        }
    } else {
        off
    };
    // A register already moved once cannot carry a second constant.
    if delta != Delta::Same {
        return UNLINKED;
    }
    let delta = match width {
        Width::W64 => Delta::Add64(off),
        Width::W32 => Delta::Add32(off),
    };
    (id, delta)
}

/// What a branch that bounded the member with delta `known_delta` to `known` teaches the
/// member with delta `delta`. Exact in the domain: the difference is applied in one 64-bit
/// addition, and the 32-bit members are zero-extended.
///
/// `None`: the member keeps what it knew. Before 6.18 the kernel adds the difference to each
/// bound on its own and does not reduce the bounds after (no `reg_bounds_sync`): a bound that
/// wraps is lost, while the others stay, a state the reduced domain cannot hold; a negative
/// difference always wraps the unsigned bounds (the 6.12 kernel then cannot decide an
/// unsigned compare or bound a memory access with that member). Leaving the member as it was
/// is the safe side there.
pub(super) fn synced(
    known: &Scalar,
    known_delta: Delta,
    delta: Delta,
    kernel: KernelVersion,
) -> Option<Scalar> {
    if known_delta == delta {
        return Some(*known);
    }
    if kernel < SUB_AND_ALU32 {
        let diff = i64::from(delta.off()) - i64::from(known_delta.off());
        // Only the 64-bit bounds are looked at: where just a 32-bit bound wraps, the domain
        // gets it back from the exact 64-bit ones much as the kernel's next compare does.
        let wraps = diff < 0
            || known.umax().checked_add(diff as u64).is_none()
            || known.smax().checked_add(diff).is_none();
        if wraps {
            return None;
        }
    }
    Some(synced_exact(known, known_delta, delta))
}

fn synced_exact(known: &Scalar, known_delta: Delta, delta: Delta) -> Scalar {
    let add = |v: &Scalar, d: i64| {
        if d == 0 {
            *v
        } else {
            Scalar::alu(AluOp::Add, Width::W64, v, &Scalar::constant(d as u64))
        }
    };
    let diff = i64::from(delta.off()) - i64::from(known_delta.off());
    match (known_delta, delta) {
        (Delta::Add32(_), Delta::Add64(d)) => {
            // `C` comes back zero-extended; `C + d` is then a 64-bit sum.
            let c = add(known, -i64::from(known_delta.off())).zext32();
            add(&c, i64::from(d))
        }
        (Delta::Add32(_), _) | (_, Delta::Add32(_)) => add(known, diff).zext32(),
        _ => add(known, diff),
    }
}

/// `st` without the ids that one scalar alone holds (in any frame or spill), and without their
/// deltas, when it has any such id: a link with nothing relates nothing. The engine compares
/// and saves this copy at checkpoints, so that a loop that makes a fresh link on every turn
/// still meets its earlier turns (the kernel compares ids up to renaming, `check_scalar_ids`,
/// where bpfvet's infinite-loop check compares states as they are); the walk itself goes on
/// with `st`, whose ids the kernel's log shows.
pub(crate) fn without_singular_ids(
    st: &AbstractState,
    slots: &mut DerivedSlots,
) -> Option<AbstractState> {
    // Called at every prune point, so it reads the state once without copying anything and
    // writes, in a copy, only the registers and spilled slots that hold a singular id: the
    // copy shares the rest (`Stack`), and most prune points have no singular id at all.
    let mut tally = IdTally::default();
    let spills = st
        .frames
        .iter()
        .flat_map(|f| f.stack.iter().filter_map(|s| s.spilled.as_ref()));
    for r in st.frames.iter().flat_map(|f| f.regs.iter()).chain(spills) {
        if let RegState::Scalar { id, .. } = r {
            if *id != 0 {
                tally.count(*id);
            }
        }
    }
    if !tally.any_singular() {
        return None;
    }
    let singular = |r: &RegState| matches!(r, RegState::Scalar { id, .. } if *id != 0 && tally.is_singular(*id));
    let unlink = |r: &mut RegState| {
        if let RegState::Scalar { id, delta, .. } = r {
            *id = 0;
            *delta = Delta::Same;
        }
    };
    let mut probe = st.clone();
    for frame in &mut probe.frames {
        if frame.regs.iter().any(singular) {
            for r in frame.regs.iter_mut().filter(|r| singular(r)) {
                unlink(r);
            }
        }
        let unlinked_slot = |s: &mut StackSlot| {
            if let Some(r) = s.spilled.as_mut() {
                unlink(r);
            }
        };
        // The 64 slots of a 512-byte frame make the mask; a deeper one (never in the kernel's
        // limits) has its further slots changed one by one.
        let mut mask = 0u64;
        for i in 0..frame.stack.len() {
            if frame.stack[i].spilled.as_ref().is_some_and(singular) {
                match 1u64.checked_shl(i as u32) {
                    Some(bit) if i < 64 => mask |= bit,
                    _ => frame.stack.derive_slot(i, slots, unlinked_slot),
                }
            }
        }
        if mask != 0 {
            // A path carries a spill whose id lost its other holder across many prune points:
            // their checkpoints share one unlinked copy of the slot, and of the slot list
            // while the path leaves its stack alone.
            frame.stack.derive_slots(mask, slots, unlinked_slot);
        }
    }
    Some(probe)
}

/// How many registers hold each scalar id, without allocating for the usual few ids (this
/// runs at every prune point).
#[derive(Default)]
struct IdTally {
    inline: [(u32, u32); IdTally::INLINE],
    len: usize,
    more: Vec<(u32, u32)>,
}

impl IdTally {
    const INLINE: usize = 16;

    fn count(&mut self, id: u32) {
        let (inline, more) = (&mut self.inline[..self.len], &mut self.more);
        match inline
            .iter_mut()
            .chain(more.iter_mut())
            .find(|(i, _)| *i == id)
        {
            Some((_, n)) => *n += 1,
            None if self.len < Self::INLINE => {
                self.inline[self.len] = (id, 1);
                self.len += 1;
            }
            None => self.more.push((id, 1)),
        }
    }

    fn entries(&self) -> impl Iterator<Item = &(u32, u32)> {
        self.inline[..self.len].iter().chain(&self.more)
    }

    fn any_singular(&self) -> bool {
        self.entries().any(|&(_, n)| n == 1)
    }

    fn is_singular(&self, id: u32) -> bool {
        self.entries().any(|&(i, n)| i == id && n == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NEW: (bool, KernelVersion) = (true, KernelVersion::new(6, 18));
    const OLD: (bool, KernelVersion) = (true, KernelVersion::new(6, 12));

    fn link(
        who: (bool, KernelVersion),
        op: AluOp,
        w: Width,
        before: Scalar,
        delta: Delta,
        k: u64,
    ) -> (u32, Delta) {
        after_alu(who, op, w, (&before, 7, delta), &Scalar::constant(k))
    }

    #[test]
    fn an_added_constant_links_once() {
        let r = Scalar::from_urange(0, 100);
        assert_eq!(
            link(NEW, AluOp::Add, Width::W64, r, Delta::Same, 10),
            (7, Delta::Add64(10))
        );
        assert_eq!(
            link(NEW, AluOp::Add, Width::W64, r, Delta::Add64(3), 10),
            (0, Delta::Same)
        );
        assert_eq!(
            link(NEW, AluOp::Sub, Width::W64, r, Delta::Same, 10),
            (7, Delta::Add64(-10))
        );
        assert_eq!(
            link(NEW, AluOp::Add, Width::W32, r, Delta::Same, 10),
            (7, Delta::Add32(10))
        );
        // Out of s32, S32_MIN negated, a wide value in 32 bits, another operator, unprivileged.
        assert_eq!(
            link(NEW, AluOp::Add, Width::W64, r, Delta::Same, 1 << 31),
            (0, Delta::Same)
        );
        assert_eq!(
            link(
                NEW,
                AluOp::Sub,
                Width::W64,
                r,
                Delta::Same,
                (-(1i64 << 31)) as u64
            ),
            (0, Delta::Same)
        );
        assert_eq!(
            link(NEW, AluOp::Add, Width::W32, Scalar::top(), Delta::Same, 1),
            (0, Delta::Same)
        );
        assert_eq!(
            link(NEW, AluOp::Mul, Width::W64, r, Delta::Same, 2),
            (0, Delta::Same)
        );
        assert_eq!(
            after_alu(
                (false, KernelVersion::new(6, 18)),
                AluOp::Add,
                Width::W64,
                (&r, 7, Delta::Same),
                &Scalar::constant(1)
            ),
            (0, Delta::Same)
        );
    }

    #[test]
    fn releases_before_6_18_link_only_small_64_bit_additions() {
        let r = Scalar::from_urange(0, 100);
        assert_eq!(
            link(OLD, AluOp::Add, Width::W64, r, Delta::Same, 10),
            (7, Delta::Add64(10))
        );
        for (op, w, k) in [
            (AluOp::Sub, Width::W64, 10),
            (AluOp::Add, Width::W64, (-10i64) as u64),
            (AluOp::Add, Width::W32, 10),
        ] {
            assert_eq!(link(OLD, op, w, r, Delta::Same, k), (0, Delta::Same));
        }
        let before = (true, KernelVersion::new(6, 10));
        assert_eq!(
            link(before, AluOp::Add, Width::W64, r, Delta::Same, 10),
            (0, Delta::Same)
        );
    }

    fn synced(known: &Scalar, known_delta: Delta, delta: Delta) -> Scalar {
        super::synced(known, known_delta, delta, KernelVersion::new(6, 18)).unwrap()
    }

    #[test]
    fn before_6_18_a_difference_that_wraps_a_bound_teaches_nothing() {
        let k = Scalar::from_urange(10, 15);
        let old = KernelVersion::new(6, 12);
        assert_eq!(super::synced(&k, Delta::Add64(10), Delta::Same, old), None);
        let up = super::synced(&k, Delta::Same, Delta::Add64(1), old).unwrap();
        assert_eq!((up.umin(), up.umax()), (11, 16));
    }

    #[test]
    fn a_bound_moves_by_the_difference_of_the_deltas() {
        let k = Scalar::from_urange(10, 15);
        let same = synced(&k, Delta::Add64(10), Delta::Same);
        assert_eq!((same.umin(), same.umax()), (0, 5));
        let other = synced(&k, Delta::Add64(10), Delta::Add64(12));
        assert_eq!((other.umin(), other.umax()), (12, 17));
        assert_eq!(synced(&k, Delta::Add32(3), Delta::Add32(3)), k);
        // The 32-bit member wraps in 32 bits: C in [0, 5], C - 10 zero-extended.
        let c = Scalar::from_urange(0, 5);
        let w = synced(&c, Delta::Same, Delta::Add32(-10));
        assert_eq!((w.umin(), w.umax()), (0xffff_fff6, 0xffff_fffb));
        // From a 32-bit member back to C and to a 64-bit member of the same group.
        let k32 = Scalar::from_urange(0xffff_fff6, 0xffff_fffb);
        let back = synced(&k32, Delta::Add32(-10), Delta::Same);
        assert_eq!((back.umin(), back.umax()), (0, 5));
        let wide = synced(&k32, Delta::Add32(-10), Delta::Add64(-10));
        assert_eq!((wide.smin(), wide.smax()), (-10, -5));
    }
}
