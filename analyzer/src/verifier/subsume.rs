//! Subsumption of states for pruning: `covers(old, cur)` holds when every concrete state of
//! `cur` is one of `old`'s, up to registers that are dead and up to a renaming of ids, so that a
//! path reaching `cur` is safe because the path from `old` was proven safe (the kernel's
//! `states_equal` with `regsafe` and `stacksafe`).

use super::engine::MixHasher;
use super::env::KernelVersion;
use super::liveness::RegSet;
use super::precision::Precision;
use super::ptr_kind::PtrKind;
use super::state::{AbstractState, Frame, RegState, StackByte, StackSlot};
use crate::isa::Reg;

/// How pruning compares the ids that tie registers together, by release.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum IdRules {
    /// Ids map as a partial bijection, scalars' included (the kernel's `check_ids` and
    /// `check_scalar_ids` since 6.5 or so).
    Bijection,
    /// The 6.1 series' `regsafe`: a scalar's id is not compared, nor a non-NULL map value's;
    /// the ids of packet pointers and of map values that may be NULL map old to current as a
    /// function, not a bijection, a current 0 included. Everything else as `Bijection`.
    Linux61,
}

/// The id rules of `kernel`'s pruning. Read from Debian's 6.1.192 sources and measured there:
/// it accepts the selftests `check_ids_in_regsafe(_2)`, `id_in_regsafe_bad_access`,
/// `null_check_ids_in_regsafe` and `reg_id_for_map_value`, which 6.12 rejects. The releases
/// around 6.1 keep the strict rules, which prune less and so never accept more.
pub fn id_rules(kernel: KernelVersion) -> IdRules {
    if kernel >= KernelVersion::new(6, 1) && kernel < KernelVersion::new(6, 2) {
        IdRules::Linux61
    } else {
        IdRules::Bijection
    }
}

/// A partial bijection between the ids of the old state and those of the current one, and the
/// 6.1 kernel's looser id function beside it (`IdRules::Linux61`).
struct IdMap {
    pairs: Pairs,
    fresh: u32,
    rules: IdRules,
    functional: Pairs,
}

impl IdMap {
    fn new(rules: IdRules) -> Self {
        IdMap {
            pairs: Pairs::default(),
            fresh: 0,
            rules,
            functional: Pairs::default(),
        }
    }

    /// 6.1's `check_ids`: each old id stands for one current id, which several may share.
    fn check_functional(&mut self, old: u32, cur: u32) -> bool {
        if old == 0 {
            return true;
        }
        if let Some(&(_, c)) = self.functional.iter().find(|(o, _)| *o == old) {
            return c == cur;
        }
        self.functional.push((old, cur));
        true
    }

    /// A pointer's id under the rules: see `IdRules::Linux61`.
    fn check_ptr_id(&mut self, kind: PtrKind, maybe_null: bool, old: u32, cur: u32) -> bool {
        if self.rules == IdRules::Bijection {
            return self.check(old, cur);
        }
        match kind {
            PtrKind::MapValue { .. } if !maybe_null => true,
            PtrKind::MapValue { .. } | PtrKind::Packet | PtrKind::PacketMeta => {
                self.check_functional(old, cur)
            }
            _ => self.check(old, cur),
        }
    }

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
        for &(o, c) in self.pairs.iter() {
            if o == old || c == cur {
                return o == old && c == cur;
            }
        }
        self.pairs.push((old, cur));
        true
    }
}

/// Id pairs, the first few held inline: [`covers`] runs for every checkpoint compared, and
/// its id map's first pair was an allocation each time.
#[derive(Default)]
struct Pairs {
    inline: [(u32, u32); Pairs::INLINE],
    len: usize,
    more: Vec<(u32, u32)>,
}

impl Pairs {
    const INLINE: usize = 16;

    fn push(&mut self, pair: (u32, u32)) {
        if self.len < Self::INLINE {
            self.inline[self.len] = pair;
            self.len += 1;
        } else {
            self.more.push(pair);
        }
    }

    fn iter(&self) -> impl Iterator<Item = &(u32, u32)> {
        self.inline[..self.len].iter().chain(&self.more)
    }
}

/// What [`covers`] requires to be equal of a state's frame count and of its current frame's
/// registers, as small numbers: per register 0 for never written, 1 for a scalar, and for a
/// pointer a number ≥ 2 computed from its kind, constant offset and NULL-ability, which
/// `reg_covers` compares exactly. Kept beside each checkpoint, it rules out most failing
/// comparisons without touching the checkpoint's state (whose first read was the dearest
/// instruction of the profile: a cache miss per checkpoint compared).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Shape {
    frames: u16,
    regs: [u16; Reg::COUNT],
}

impl Shape {
    pub fn of(s: &AbstractState) -> Shape {
        use std::hash::{Hash, Hasher};
        let mut regs = [0u16; Reg::COUNT];
        for (code, r) in regs.iter_mut().zip(&s.cur().regs) {
            *code = match r {
                RegState::Uninit => 0,
                RegState::Scalar { .. } => 1,
                RegState::Ptr(p) => {
                    let mut h = MixHasher::default();
                    (p.kind, p.off, p.maybe_null).hash(&mut h);
                    2 + (h.finish() % u64::from(u16::MAX - 1)) as u16
                }
            };
        }
        Shape {
            // At most `MAX_CALL_FRAMES`.
            frames: s.frames.len() as u16,
            regs,
        }
    }
}

/// Whether [`covers`]`(old, cur, live, _, precise)` is sure to fail because of what the
/// states' shapes tell: another frame count, or a register it compares in the current frame
/// that old holds and cur does not hold with the same kind (different numbers mean different
/// kinds, offsets or NULL-ability; equal numbers prove nothing, the full test decides).
// Inlined into the engine's scan, where it runs once per checkpoint compared.
#[inline]
pub fn shapes_rule_out(
    old: &Shape,
    cur: &Shape,
    live: RegSet,
    precise: Option<&Precision>,
) -> bool {
    if old.frames != cur.frames {
        return true;
    }
    let exact = Exact {
        marks: precise,
        frame: usize::from(old.frames) - 1,
    };
    old.regs
        .iter()
        .zip(&cur.regs)
        .enumerate()
        .any(|(n, (o, c))| *o != 0 && o != c && live & (1 << n) != 0 && exact.live_reg(n))
}

const CALLEE_SAVED: RegSet = 0b11_1100_0000 | (1 << 10);

/// Whether `old` covers `cur`, comparing in the top frame only the registers in `live`.
/// `precise`: what the paths from `old` were found to depend on: the scalars whose values
/// matter (every other scalar of `old` covers any scalar, up to ids) and the stack slots read
/// (the others are not compared). `None`: everything matters.
pub fn covers(
    old: &AbstractState,
    cur: &AbstractState,
    live: RegSet,
    (privileged, id_rules): (bool, IdRules),
    precise: Option<&Precision>,
) -> bool {
    if old.frames.len() != cur.frames.len()
        || old.refs.len() != cur.refs.len()
        || old.active_lock.is_some() != cur.active_lock.is_some()
        || old.res_locks.len() != cur.res_locks.len()
        || old.rcu_lock != cur.rcu_lock
    {
        return false;
    }
    let mut ids = IdMap::new(id_rules);
    if let (Some(a), Some(b)) = (old.active_lock, cur.active_lock) {
        if a.map != b.map || (a.id == 0) != (b.id == 0) || !ids.check(a.id, b.id) {
            return false;
        }
    }
    for (a, b) in old.res_locks.iter().zip(&cur.res_locks) {
        let (a, b) = ((a.lock, a.irq), (b.lock, b.irq));
        if a.0.map != b.0.map
            || a.1 != b.1
            || (a.0.id == 0) != (b.0.id == 0)
            || !ids.check(a.0.id, b.0.id)
        {
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
        let exact = Exact {
            marks: precise,
            frame: i,
        };
        if !frame_covers(fo, fc, mask, privileged, exact, &mut ids) {
            return false;
        }
    }
    true
}

/// Which scalars of one old frame must be compared by value.
#[derive(Clone, Copy)]
struct Exact<'a> {
    marks: Option<&'a Precision>,
    frame: usize,
}

impl Exact<'_> {
    fn reg(self, n: usize) -> bool {
        self.marks.map_or(true, |m| m.marks.reg(self.frame, n))
    }

    fn slot(self, s: usize) -> bool {
        self.marks
            .map_or(true, |m| s >= 64 || m.marks.slot(self.frame, s))
    }

    fn live_reg(self, n: usize) -> bool {
        self.marks.map_or(true, |m| {
            m.live_regs
                .get(self.frame)
                .map_or(true, |l| l & (1 << n) != 0)
        })
    }

    fn live_slot(self, s: usize) -> bool {
        self.marks.map_or(true, |m| {
            s >= 64
                || m.live_slots
                    .get(self.frame)
                    .map_or(true, |l| l & (1 << s) != 0)
        })
    }
}

fn frame_covers(
    old: &Frame,
    cur: &Frame,
    mask: RegSet,
    privileged: bool,
    exact: Exact<'_>,
    ids: &mut IdMap,
) -> bool {
    // The snapshot decides what a callback's return forgets, so it must match exactly.
    if old.subprog != cur.subprog
        || old.return_to != cur.return_to
        || old.callback_ret != cur.callback_ret
        || old.caller_stack_at_entry != cur.caller_stack_at_entry
        // Fewer callback runs explored means at least as many still to come (`loops.rs`).
        || old.callback_depth > cur.callback_depth
    {
        return false;
    }
    for (n, (ro, rc)) in old.regs.iter().zip(&cur.regs).enumerate() {
        // A register nothing below read (recorded) or can read (static) is dead.
        let live = mask & (1 << n) != 0 && exact.live_reg(n);
        if live && !reg_covers(ro, rc, exact.reg(n), ids) {
            return false;
        }
    }
    let empty = StackSlot::default();
    for (i, so) in old.stack.iter().enumerate() {
        let sc = cur.stack.get(i).unwrap_or(&empty);
        // A slot nothing below read is dead; iterators are compared anyway (they are state
        // the next `next` call looks at whatever the reads).
        if !exact.live_slot(i) && !so.holds_object() && !sc.holds_object() {
            continue;
        }
        if !slot_covers(so, sc, privileged, exact.slot(i), ids) {
            return false;
        }
    }
    true
}

/// `precise`: whether an old scalar's value matters; an imprecise one covers any scalar
/// whose id maps consistently (ids still tie copies that one branch bounds together).
fn reg_covers(old: &RegState, cur: &RegState, precise: bool, ids: &mut IdMap) -> bool {
    match (old, cur) {
        (RegState::Uninit, _) => true,
        (_, RegState::Uninit) => false,
        (
            RegState::Scalar {
                v: vo,
                id: io,
                delta: dold,
            },
            RegState::Scalar {
                v: vc,
                id: ic,
                delta: dcur,
            },
        ) => {
            // A link of old's (`a == b + d`) must hold in cur too: the same delta on a
            // consistently renamed id. 6.1's pruning ignores scalar ids (and has no deltas).
            (!precise || vc.le(vo))
                && (ids.rules == IdRules::Linux61
                    || (ids.check(*io, *ic) && (*io == 0 || dold == dcur)))
        }
        (RegState::Ptr(po), RegState::Ptr(pc)) => {
            po.kind == pc.kind
                && po.off == pc.off
                && po.maybe_null == pc.maybe_null
                && pc.var_off.le(&po.var_off)
                && pc.range >= po.range
                && ids.check_ptr_id(po.kind, po.maybe_null, po.id, pc.id)
                && ids.check(po.ref_obj_id, pc.ref_obj_id)
                && ids.check(po.dynptr_id, pc.dynptr_id)
                // The kernel compares `map_uid` byte for byte.
                && po.map_uid == pc.map_uid
        }
        _ => false,
    }
}

fn slot_covers(
    old: &StackSlot,
    cur: &StackSlot,
    privileged: bool,
    precise: bool,
    ids: &mut IdMap,
) -> bool {
    // Iterators must match in state and reference; their depth is ignored, or no loop over an
    // iterator would ever converge (the kernel's `stacksafe` for `STACK_ITER`).
    match (&old.iter, &cur.iter) {
        (None, None) => {}
        (Some(o), Some(c)) => {
            if o.active != c.active || o.rcu_gone != c.rcu_gone || !ids.check(o.ref_id, c.ref_id) {
                return false;
            }
        }
        _ => return false,
    }
    // Dynptrs must match in kind, half and identity (the kernel's `stacksafe` for
    // `STACK_DYNPTR`).
    match (&old.dynptr, &cur.dynptr) {
        (None, None) => {}
        (Some(o), Some(c)) => {
            if o.kind != c.kind
                || o.first != c.first
                || !ids.check(o.id, c.id)
                || !ids.check(o.ref_obj_id, c.ref_obj_id)
            {
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
            return reg_covers(o, c, precise, ids);
        }
        // An imprecise spilled scalar stands for any number, which plain written bytes hold.
        if !precise
            && privileged
            && matches!(old.spilled, Some(RegState::Scalar { id: 0, .. }))
            && !cur.holds_object()
            && cur
                .bytes
                .iter()
                .all(|b| matches!(b, StackByte::Misc | StackByte::Zero))
        {
            return true;
        }
        // An old spilled scalar that cur holds as plain bytes: only an unconstrained one covers.
        return matches!(&old.spilled, Some(RegState::Uninit));
    }
    // A narrow spill (only the low bytes of the slot spilled): the bytes old spilled must be
    // spilled in cur too, by a register the old one covers; the other bytes compare one by
    // one, so cur may have spilled more of them over bytes old held as plain data (the
    // kernel's `stacksafe`: byte types, and `regsafe` of the spilled registers where both
    // spilled the lowest byte). A one-byte spill of an imprecise 3 thus covers a four-byte
    // spill of 0 (`test_xdp_noinline`: checkpoints at a function's entry).
    let narrow_spill_ok = match (&old.spilled, &cur.spilled) {
        (Some(o), Some(c)) if old.bytes.contains(&StackByte::Spill) => {
            reg_covers(o, c, precise, ids)
        }
        _ => false,
    };
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
            (StackByte::Spill, StackByte::Spill) => narrow_spill_ok,
            (StackByte::Spill, _) => false,
        };
        if !ok {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::InsnIdx;
    use crate::verifier::state::PtrKind;

    fn state(regs: &[(usize, RegState)]) -> AbstractState {
        let mut frame = Frame::new(0, InsnIdx(0));
        for (n, r) in regs {
            frame.regs[*n] = r.clone();
        }
        AbstractState {
            frames: smallvec::smallvec![frame],
            refs: Vec::new(),
            active_lock: None,
            res_locks: Vec::new(),
            rcu_lock: false,
            next_id: 0,
            may_goto_depth: 0,
        }
    }

    fn map_value(off: i32, maybe_null: bool) -> RegState {
        let mut p = crate::verifier::state::Pointer::new(PtrKind::MapValue { map: 0 });
        p.off = off;
        p.maybe_null = maybe_null;
        RegState::Ptr(p)
    }

    /// The shape filter only ever rules out comparisons `covers` fails, and it does rule out
    /// those that differ in a compared register's kind, offset or NULL-ability.
    #[test]
    fn shapes_rule_out_only_what_covers_refuses() {
        let regs = [
            RegState::Uninit,
            RegState::unknown(),
            RegState::scalar_const(3),
            map_value(0, false),
            map_value(8, false),
            map_value(0, true),
            RegState::ptr(PtrKind::Ctx),
        ];
        let rules = (true, IdRules::Bijection);
        let mut ruled_out = 0;
        for o in &regs {
            for c in &regs {
                let old = state(&[(1, o.clone())]);
                let cur = state(&[(1, c.clone())]);
                for live in [0b10, 0] {
                    let out = shapes_rule_out(&Shape::of(&old), &Shape::of(&cur), live, None);
                    let covered = covers(&old, &cur, live, rules, None);
                    assert!(!(out && covered), "{o} covers {c} but was ruled out");
                    if live != 0 && *o != RegState::Uninit {
                        let same_shape =
                            matches!((o, c), (RegState::Scalar { .. }, RegState::Scalar { .. }))
                                || o == c;
                        assert_eq!(out, !same_shape, "{o} against {c}");
                    }
                    ruled_out += usize::from(out);
                }
            }
        }
        assert!(ruled_out > 20);
        // Another frame count is ruled out whatever the registers.
        let mut deeper = state(&[]);
        deeper.frames.push(Frame::new(1, InsnIdx(5)));
        assert!(shapes_rule_out(
            &Shape::of(&state(&[])),
            &Shape::of(&deeper),
            0,
            None
        ));
    }
}
