//! Subsumption of states for pruning: `covers(old, cur)` holds when every concrete state of
//! `cur` is one of `old`'s, up to registers that are dead and up to a renaming of ids, so that a
//! path reaching `cur` is safe because the path from `old` was proven safe (the kernel's
//! `states_equal` with `regsafe` and `stacksafe`).

use super::liveness::RegSet;
use super::state::{AbstractState, Frame, RegState, StackByte, StackSlot};

/// A partial bijection between the ids of the old state and those of the current one.
#[derive(Default)]
struct IdMap {
    pairs: Vec<(u32, u32)>,
    fresh: u32,
}

impl IdMap {
    /// Whether `old` may stand for `cur` consistently with every earlier pairing.
    fn check(&mut self, old: u32, cur: u32) -> bool {
        if old == 0 {
            return true;
        }
        let cur = if cur == 0 {
            // An unlinked current value gets an id of its own, matching nothing else.
            self.fresh += 1;
            u32::MAX - self.fresh
        } else {
            cur
        };
        for &(o, c) in &self.pairs {
            if o == old || c == cur {
                return o == old && c == cur;
            }
        }
        self.pairs.push((old, cur));
        true
    }
}

const CALLEE_SAVED: RegSet = 0b11_1100_0000 | (1 << 10);

/// Whether `old` covers `cur`, comparing in the top frame only the registers in `live`.
pub fn covers(old: &AbstractState, cur: &AbstractState, live: RegSet, privileged: bool) -> bool {
    if old.frames.len() != cur.frames.len()
        || old.refs.len() != cur.refs.len()
        || old.active_lock.is_some() != cur.active_lock.is_some()
    {
        return false;
    }
    let mut ids = IdMap::default();
    if let (Some(a), Some(b)) = (old.active_lock, cur.active_lock) {
        if a.map != b.map || (a.id == 0) != (b.id == 0) || !ids.check(a.id, b.id) {
            return false;
        }
    }
    for (a, b) in old.refs.iter().zip(&cur.refs) {
        if a.acquired_at != b.acquired_at || !ids.check(a.id, b.id) {
            return false;
        }
    }
    let top = old.frames.len() - 1;
    for (i, (fo, fc)) in old.frames.iter().zip(&cur.frames).enumerate() {
        let mask = if i == top { live } else { CALLEE_SAVED };
        if !frame_covers(fo, fc, mask, privileged, &mut ids) {
            return false;
        }
    }
    true
}

fn frame_covers(old: &Frame, cur: &Frame, mask: RegSet, privileged: bool, ids: &mut IdMap) -> bool {
    // The snapshot decides what a callback's return forgets, so it must match exactly.
    if old.subprog != cur.subprog
        || old.return_to != cur.return_to
        || old.callback_ret != cur.callback_ret
        || old.caller_stack_at_entry != cur.caller_stack_at_entry
    {
        return false;
    }
    for (n, (ro, rc)) in old.regs.iter().zip(&cur.regs).enumerate() {
        if mask & (1 << n) != 0 && !reg_covers(ro, rc, ids) {
            return false;
        }
    }
    let empty = StackSlot::default();
    for (i, so) in old.stack.iter().enumerate() {
        let sc = cur.stack.get(i).unwrap_or(&empty);
        if !slot_covers(so, sc, privileged, ids) {
            return false;
        }
    }
    true
}

fn reg_covers(old: &RegState, cur: &RegState, ids: &mut IdMap) -> bool {
    match (old, cur) {
        (RegState::Uninit, _) => true,
        (_, RegState::Uninit) => false,
        (RegState::Scalar { v: vo, id: io }, RegState::Scalar { v: vc, id: ic }) => {
            vc.le(vo) && ids.check(*io, *ic)
        }
        (RegState::Ptr(po), RegState::Ptr(pc)) => {
            po.kind == pc.kind
                && po.off == pc.off
                && po.maybe_null == pc.maybe_null
                && pc.var_off.le(&po.var_off)
                && pc.range >= po.range
                && ids.check(po.id, pc.id)
                && ids.check(po.ref_obj_id, pc.ref_obj_id)
        }
        _ => false,
    }
}

fn slot_covers(old: &StackSlot, cur: &StackSlot, privileged: bool, ids: &mut IdMap) -> bool {
    // Iterators must match in state and reference; their depth is ignored, or no loop over an
    // iterator would ever converge (the kernel's `stacksafe` for `STACK_ITER`).
    match (&old.iter, &cur.iter) {
        (None, None) => {}
        (Some(o), Some(c)) => {
            if o.active != c.active || !ids.check(o.ref_id, c.ref_id) {
                return false;
            }
        }
        _ => return false,
    }
    if old.bytes.iter().all(|b| *b == StackByte::Spill) {
        if let (Some(o), Some(c), true) = (
            &old.spilled,
            &cur.spilled,
            cur.bytes.iter().all(|b| *b == StackByte::Spill),
        ) {
            return reg_covers(o, c, ids);
        }
        // An old spilled scalar that cur holds as plain bytes: only an unconstrained one covers.
        return matches!(&old.spilled, Some(RegState::Uninit));
    }
    let cur_spill_scalar = matches!(cur.spilled, Some(RegState::Scalar { .. }));
    let cur_spill_zero = cur
        .spilled
        .as_ref()
        .and_then(RegState::as_scalar)
        .and_then(|s| s.as_const())
        == Some(0);
    for (bo, bc) in old.bytes.iter().zip(&cur.bytes) {
        let ok = match (bo, bc) {
            (StackByte::Invalid, _) => true,
            (StackByte::Misc, StackByte::Invalid) => privileged,
            (StackByte::Misc, StackByte::Spill) => cur_spill_scalar || privileged,
            (StackByte::Misc, _) => true,
            (StackByte::Zero, StackByte::Zero) => true,
            (StackByte::Zero, StackByte::Spill) => cur_spill_zero,
            (StackByte::Zero, _) => false,
            (StackByte::Spill, _) => false,
        };
        if !ok {
            return false;
        }
    }
    true
}
