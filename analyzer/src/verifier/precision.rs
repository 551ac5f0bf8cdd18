//! Precision tracking, as the kernel does it (`mark_chain_precision`, `backtrack_insn`): a
//! checkpoint compares a scalar exactly only when its value was found to decide safety on some
//! path explored from it; any other scalar of the checkpoint covers any scalar.
//!
//! Every processed instruction leaves a node in a history tree shared by all paths (a path's
//! history is the chain of parents from its newest node); a checkpoint leaves a marker node.
//! When an instruction's safety depends on a scalar's value (a pointer offset, a helper
//! argument, a branch whose outcome is decided, a returned value, ...), the engine walks that
//! chain backwards from the instruction, turning the set of registers and stack slots whose
//! values matter into the set they were computed from, and marks them precise in every
//! checkpoint it passes. A path pruned by a checkpoint adds that checkpoint's precise set at
//! the point of pruning, so what made the old path safe is demanded of the new one's history.
//!
//! Soundness rests on three rules. (1) Only complete checkpoints (no path below them still
//! alive) prune with imprecise scalars: marks reach only the checkpoints on a live path's
//! chain, so a complete checkpoint's marks are final. (2) Whatever the walk cannot follow
//! exactly (a variable-offset stack access, an atomic, a callback's arguments) marks every
//! scalar of every checkpoint on the chain precise. (3) Scalar ids are still matched for
//! imprecise scalars, so a bound that a branch learns on one copy reaches the same copies.

use super::state::{AbstractState, RegState, StackByte, MAX_CALL_FRAMES};
use crate::isa::{AtomicOp, CallTarget, Insn, InsnIdx, Operand, Reg, Size};

/// Registers and stack slots, per frame (frame 0 is the main program's).
#[derive(Clone, Copy, PartialEq, Eq, Default, Debug)]
pub struct Marks {
    pub regs: [u16; MAX_CALL_FRAMES],
    pub slots: [u64; MAX_CALL_FRAMES],
}

impl Marks {
    pub fn is_empty(&self) -> bool {
        self.regs.iter().all(|r| *r == 0) && self.slots.iter().all(|s| *s == 0)
    }

    pub fn reg(&self, frame: usize, r: usize) -> bool {
        self.regs.get(frame).is_some_and(|m| m & (1 << r) != 0)
    }

    pub fn slot(&self, frame: usize, s: usize) -> bool {
        s < 64 && self.slots.get(frame).is_some_and(|m| m & (1 << s) != 0)
    }

    fn set_reg(&mut self, frame: usize, r: Reg) {
        self.regs[frame] |= 1 << r.num();
    }

    fn has_reg(&self, frame: usize, r: Reg) -> bool {
        self.regs[frame] & (1 << r.num()) != 0
    }

    fn clear_reg(&mut self, frame: usize, r: Reg) {
        self.regs[frame] &= !(1 << r.num());
    }

    pub(super) fn union(&mut self, o: &Marks) {
        for f in 0..MAX_CALL_FRAMES {
            self.regs[f] |= o.regs[f];
            self.slots[f] |= o.slots[f];
        }
    }

    fn intersects(&self, o: &Marks) -> bool {
        (0..MAX_CALL_FRAMES)
            .any(|f| self.regs[f] & o.regs[f] != 0 || self.slots[f] & o.slots[f] != 0)
    }

    fn clear_frame(&mut self, f: usize) {
        self.regs[f] = 0;
        self.slots[f] = 0;
    }

    fn frame_empty(&self, f: usize) -> bool {
        self.regs[f] == 0 && self.slots[f] == 0
    }

    /// Every register and spilled scalar of `st` sharing a non-zero `id`.
    fn linked(st: &AbstractState, ids: [u32; 2]) -> Marks {
        let mut m = Marks::default();
        let has =
            |r: &RegState| matches!(r, RegState::Scalar { id, .. } if *id != 0 && ids.contains(id));
        for (f, frame) in st.frames.iter().enumerate() {
            for (n, r) in frame.regs.iter().enumerate() {
                if has(r) {
                    m.regs[f] |= 1 << n;
                }
            }
            for (s, slot) in frame.stack.iter().enumerate().take(64) {
                if slot.spilled.as_ref().is_some_and(has) {
                    m.slots[f] |= 1 << s;
                }
            }
        }
        m
    }
}

/// What the paths explored from one checkpoint were found to depend on. `repr(C)`: what
/// pruning reads of every checkpoint it compares (`all`, `live_regs`) comes first.
#[derive(Clone, Default, Debug)]
#[repr(C)]
pub struct Precision {
    /// Everything matters: every scalar is precise and every stack slot live (a walk gave up
    /// somewhere below).
    pub all: bool,
    /// Registers, per frame, read below before being written (the kernel's register read
    /// marks): any other register is dead here and not compared.
    pub live_regs: [u16; MAX_CALL_FRAMES],
    /// Scalars whose values decided safety, or are assumed to (everything a path pruned by a
    /// checkpoint still being explored came from): what pruning compares.
    pub marks: Marks,
    /// The part of `marks` some check below demanded (the kernel's precision marks, which a
    /// path pruned inside a loop passes on only as far as the loop's checkpoint has them):
    /// what a loop's widening keeps. Widening is sound whatever it keeps; keeping only these
    /// lets a loop whose body was pruned against its previous turn still converge.
    pub demanded: Marks,
    /// Stack slots, per frame, read below before being overwritten (the kernel's stack read
    /// marks): any other slot's content is dead here and not compared.
    pub live_slots: [u64; MAX_CALL_FRAMES],
}

/// Where a load or store went, when it went to the stack.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum StackAccess {
    None,
    Slot {
        frame: u8,
        slot: u8,
    },
    /// A variable offset, or bytes of two slots: the walk cannot tell which slot.
    Unknown,
}

#[derive(Clone, Copy, Debug)]
enum NodeKind {
    Insn {
        pc: u32,
        /// Frame number the instruction ran in.
        depth: u8,
        /// Whether that frame is a callback's.
        callback: bool,
        stack: StackAccess,
        /// Index in `History::linked` of what a conditional jump's bound reaches, if any.
        linked: u32,
    },
    Checkpoint(u32),
}

#[derive(Clone, Copy, Debug)]
struct Node {
    parent: u32,
    kind: NodeKind,
}

pub const NO_NODE: u32 = u32::MAX;

/// The history tree of one exploration.
#[derive(Default)]
pub struct History {
    nodes: Vec<Node>,
    linked: Vec<Marks>,
    /// The registers each instruction reads and writes (`liveness::uses_defs`), worked out
    /// once per program: walks and the engine ask for them at every processed instruction.
    uses_defs: Vec<(u16, u16)>,
}

/// What the engine learns of one instruction before running it, to record and to demand.
pub struct Before {
    depth: u8,
    callback: bool,
    stack: StackAccess,
    linked: u32,
    /// Scalar registers the instruction reads whose values decide safety, whatever the
    /// outcome; `demand` adds what depends on the outcome.
    reads_scalar: u16,
    ptr_operand: bool,
    /// Stack slots the instruction reads (for a call: what its stack pointer arguments may
    /// reach, kept unless it enters a static subprogram, whose own loads are recorded).
    reads: Marks,
}

/// How an instruction ended, for what it demands.
#[derive(Clone, Copy)]
pub struct Outcome {
    /// A conditional jump went one way only.
    pub decided: bool,
    /// Frame number after it.
    pub depth_after: usize,
    /// An exit of the program whose return value its type restricts.
    pub exit_range_checked: bool,
}

const ARGS: u16 = 0b11_1110;
const CALLER_SAVED: u16 = 0b11_1111;
/// r0-r10.
const ALL_REGS: u16 = 0x7ff;

fn bit(r: Reg) -> u16 {
    1 << r.num()
}

impl Before {
    pub fn depth(&self) -> usize {
        usize::from(self.depth)
    }

    pub fn is_callback(&self) -> bool {
        self.callback
    }
}

impl History {
    /// An empty history for exploring `insns`.
    pub fn for_program(insns: &[Insn]) -> History {
        History {
            uses_defs: insns.iter().map(super::liveness::uses_defs).collect(),
            ..History::default()
        }
    }

    /// The registers the instruction at `pc` reads and writes (none past the end).
    pub fn uses_defs(&self, pc: u32) -> (u16, u16) {
        self.uses_defs.get(pc as usize).copied().unwrap_or_default()
    }

    pub fn checkpoint(&mut self, parent: u32, id: u32) -> u32 {
        self.push(parent, NodeKind::Checkpoint(id))
    }

    fn push(&mut self, parent: u32, kind: NodeKind) -> u32 {
        self.nodes.push(Node { parent, kind });
        (self.nodes.len() - 1) as u32
    }

    /// Notes what `insn` at `pc` will touch in `st` (called before it runs).
    pub fn before(&mut self, insn: &Insn, st: &AbstractState) -> Before {
        let frame = st.cur();
        let ptr = |r: Reg| matches!(frame.reg(r), RegState::Ptr(_));
        let scalars_in = |m: u16| {
            (0..11u8)
                .filter(|n| m & (1 << n) != 0)
                .filter(|n| matches!(frame.regs[*n as usize], RegState::Scalar { .. }))
                .fold(0u16, |acc, n| acc | (1 << n))
        };
        let stack_at = |base: Reg, off: i16, size: Size| match frame.reg(base) {
            RegState::Ptr(p) => match (p.kind, p.var_off.as_const()) {
                (super::state::PtrKind::Stack { frame }, Some(0)) => {
                    let start = i64::from(p.off) + i64::from(off);
                    let end = start + i64::from(size.bytes()) - 1;
                    if start >= 0 || end >= 0 {
                        return StackAccess::Unknown;
                    }
                    let (s0, s1) = ((-start - 1) / 8, (-end - 1) / 8);
                    if s0 == s1 && s0 < 64 {
                        StackAccess::Slot {
                            frame,
                            slot: s0 as u8,
                        }
                    } else {
                        StackAccess::Unknown
                    }
                }
                (super::state::PtrKind::Stack { .. }, _) => StackAccess::Unknown,
                _ => StackAccess::None,
            },
            _ => StackAccess::None,
        };
        let mut b = Before {
            depth: st.frame_no() as u8,
            callback: frame.callback_ret.is_some(),
            stack: StackAccess::None,
            linked: NO_NODE,
            reads_scalar: 0,
            ptr_operand: false,
            reads: Marks::default(),
        };
        // Every slot from where a stack pointer in `r` points up to the frame's top, or the
        // whole frame when its offset is not constant: what a callee given it may read.
        let reach = |m: &mut Marks, r: &RegState| {
            if let RegState::Ptr(p) = r {
                if let super::state::PtrKind::Stack { frame } = p.kind {
                    let f = usize::from(frame).min(MAX_CALL_FRAMES - 1);
                    m.slots[f] |= match p.var_off.as_const() {
                        Some(0) if p.off < 0 => {
                            let top = ((-i64::from(p.off) - 1) / 8).min(63);
                            if top == 63 {
                                u64::MAX
                            } else {
                                (1u64 << (top + 1)) - 1
                            }
                        }
                        Some(0) => 0,
                        _ => u64::MAX,
                    };
                }
            }
        };
        match *insn {
            Insn::Alu {
                op: crate::isa::AluOp::Mov,
                ..
            } => {}
            Insn::Alu { dst, src, .. } => {
                let src_reg = match src {
                    Operand::Reg(r) => Some(r),
                    Operand::Imm(_) => None,
                };
                b.ptr_operand = ptr(dst) || src_reg.is_some_and(ptr);
                if b.ptr_operand {
                    b.reads_scalar = scalars_in(bit(dst) | src_reg.map_or(0, bit));
                }
            }
            Insn::Jmp { dst, src, .. } => {
                let src_reg = match src {
                    Operand::Reg(r) => Some(r),
                    Operand::Imm(_) => None,
                };
                b.ptr_operand = ptr(dst) || src_reg.is_some_and(ptr);
                // What a decided outcome depends on; `demand` keeps it only then.
                b.reads_scalar = scalars_in(bit(dst) | src_reg.map_or(0, bit));
                let id_of = |r: Reg| match frame.reg(r) {
                    RegState::Scalar { id, .. } => *id,
                    _ => 0,
                };
                let ids = [id_of(dst), src_reg.map_or(0, id_of)];
                if ids != [0, 0] {
                    self.linked.push(Marks::linked(st, ids));
                    b.linked = (self.linked.len() - 1) as u32;
                }
            }
            Insn::Call(_) | Insn::Callx { .. } => {
                // Arguments flow into a static callee's frame; a global function's are
                // checked against its signature, so they are demanded in `after`.
                b.reads_scalar = scalars_in(ARGS);
                for r in &frame.regs[1..6] {
                    reach(&mut b.reads, r);
                }
            }
            Insn::Exit => {
                b.reads_scalar = scalars_in(1);
                if b.callback && b.depth > 0 {
                    // Returning from a callback compares the caller's whole stack with what
                    // it held when the callback was entered.
                    b.reads.slots[usize::from(b.depth) - 1] = u64::MAX;
                }
            }
            Insn::LdInd { src, .. } => b.reads_scalar = scalars_in(bit(src)),
            Insn::Load { src, off, size, .. } => b.stack = stack_at(src, off, size),
            Insn::Store { dst, off, size, .. } => b.stack = stack_at(dst, off, size),
            Insn::Atomic { dst, off, size, .. } => b.stack = stack_at(dst, off, size),
            _ => {}
        }
        if matches!(insn, Insn::Load { .. } | Insn::Atomic { .. }) {
            match (b.stack, insn) {
                (StackAccess::Slot { frame, slot }, _) => {
                    b.reads.slots[usize::from(frame)] |= 1 << slot;
                }
                (StackAccess::Unknown, Insn::Load { src: r, .. } | Insn::Atomic { dst: r, .. }) => {
                    reach(&mut b.reads, frame.reg(*r));
                    if let RegState::Ptr(p) = frame.reg(*r) {
                        if let super::state::PtrKind::Stack { frame } = p.kind {
                            b.reads.slots[usize::from(frame).min(MAX_CALL_FRAMES - 1)] = u64::MAX;
                        }
                    }
                }
                _ => {}
            }
        }
        b
    }

    /// Records the instruction after it ran; returns the new node and the registers whose
    /// values decided its safety (in the frame it ran in).
    pub fn after(
        &mut self,
        parent: u32,
        pc: InsnIdx,
        insn: &Insn,
        b: &Before,
        outcome: Outcome,
    ) -> (u32, u16, Marks) {
        let Outcome {
            decided,
            depth_after,
            exit_range_checked,
        } = outcome;
        let mut reads = b.reads;
        let entered = depth_after > usize::from(b.depth);
        if entered {
            if matches!(insn, Insn::Call(CallTarget::Local(_)) | Insn::Callx { .. }) {
                // A static callee's own loads are recorded as it runs.
                reads.slots = [0; MAX_CALL_FRAMES];
            } else {
                // A callback is entered with a copy of the caller's stack, compared at its exit.
                reads.slots[usize::from(b.depth)] = u64::MAX;
            }
        }
        let node = self.push(
            parent,
            NodeKind::Insn {
                pc: pc.0,
                depth: b.depth,
                callback: b.callback,
                stack: b.stack,
                linked: b.linked,
            },
        );
        let demand = match insn {
            Insn::Alu { .. } => b.reads_scalar,
            Insn::Jmp { .. } => {
                if decided || b.ptr_operand {
                    b.reads_scalar
                } else {
                    0
                }
            }
            Insn::Call(CallTarget::Local(_)) | Insn::Callx { .. } => {
                if depth_after > usize::from(b.depth) {
                    0
                } else {
                    b.reads_scalar
                }
            }
            Insn::Exit => {
                let returns_to_caller = depth_after < usize::from(b.depth) && !b.callback;
                if b.callback || (!returns_to_caller && exit_range_checked) {
                    b.reads_scalar
                } else {
                    0
                }
            }
            _ => b.reads_scalar,
        };
        (node, demand, reads)
    }
}

/// What a walk does to checkpoints: the engine's side of it.
pub trait Checkpoints {
    /// The state and precision of checkpoint `id`, if it is still held.
    fn get(&mut self, id: u32) -> Option<(&AbstractState, &mut Precision)>;
    /// Whether checkpoint `id` is already all-precise (evicted ones count as not).
    fn all_precise(&self, id: u32) -> bool;
    fn set_all_precise(&mut self, id: u32);
}

impl History {
    /// Marks precise, along the chain ending at `from`, what the values in `need` (at the
    /// point after `from`, in a state of `depth + 1` frames whose top frame is a callback's if
    /// `callback`) were computed from; as demanded marks (`Precision::demanded`) too when
    /// `demanded`.
    #[allow(clippy::too_many_arguments)]
    pub fn mark_chain<C: Checkpoints>(
        &self,
        insns: &[Insn],
        cps: &mut C,
        from: u32,
        mut need: Marks,
        depth: usize,
        callback: bool,
        demanded: bool,
    ) {
        let (mut later_depth, mut later_callback) = (depth, callback);
        let mut at = from;
        while at != NO_NODE && !need.is_empty() {
            let node = self.nodes[at as usize];
            match node.kind {
                NodeKind::Checkpoint(id) => {
                    if cps.all_precise(id) {
                        return;
                    }
                    if let Some((st, prec)) = cps.get(id) {
                        if st.frame_no() != later_depth {
                            return self.mark_all(cps, from);
                        }
                        if !mark_checkpoint(st, prec, &mut need, demanded) {
                            // Everything asked for was already precise here, so an earlier
                            // walk carried it further back.
                            return;
                        }
                    }
                }
                NodeKind::Insn {
                    pc,
                    depth,
                    callback,
                    stack,
                    linked,
                } => {
                    let d = usize::from(depth);
                    let Some(insn) = insns.get(pc as usize) else {
                        return self.mark_all(cps, from);
                    };
                    if d < later_depth {
                        // The call that entered the frame the later instructions ran in.
                        let static_call =
                            matches!(insn, Insn::Call(CallTarget::Local(_)) | Insn::Callx { .. });
                        if later_callback || !static_call || d + 1 != later_depth {
                            if !need.frame_empty(later_depth) {
                                return self.mark_all(cps, from);
                            }
                        } else {
                            need.regs[d] |= need.regs[later_depth] & ARGS;
                        }
                        need.clear_frame(later_depth);
                    } else if d > later_depth {
                        // The exit of the frame the later instructions returned from.
                        if d != later_depth + 1 {
                            return self.mark_all(cps, from);
                        }
                        if callback {
                            // A callback run returns to its call with the caller's registers
                            // untouched (`loops.rs`): what is needed of them was so before.
                            need.clear_frame(d);
                        } else {
                            let r0 = need.regs[later_depth] & 1;
                            need.regs[later_depth] &= !CALLER_SAVED;
                            need.clear_frame(d);
                            need.regs[d] = r0;
                        }
                    } else if !self.backtrack(insn, d, stack, linked, &mut need) {
                        return self.mark_all(cps, from);
                    }
                    later_depth = d;
                    later_callback = callback;
                }
            }
            at = node.parent;
        }
    }

    /// `need` after `insn` (run in frame `f`) → `need` before it; `false` when the walk cannot
    /// follow.
    fn backtrack(
        &self,
        insn: &Insn,
        f: usize,
        stack: StackAccess,
        linked: u32,
        need: &mut Marks,
    ) -> bool {
        match *insn {
            Insn::Alu {
                op: crate::isa::AluOp::Mov,
                dst,
                src,
                ..
            } => {
                if need.has_reg(f, dst) {
                    need.clear_reg(f, dst);
                    if let Operand::Reg(s) = src {
                        need.set_reg(f, s);
                    }
                }
            }
            Insn::Alu { dst, src, .. } => {
                if need.has_reg(f, dst) {
                    if let Operand::Reg(s) = src {
                        need.set_reg(f, s);
                    }
                }
            }
            Insn::MovSx { dst, src, .. } | Insn::AddrSpaceCast { dst, src, .. } => {
                if need.has_reg(f, dst) {
                    need.clear_reg(f, dst);
                    need.set_reg(f, src);
                }
            }
            Insn::Neg { .. } | Insn::Endian { .. } => {}
            Insn::Ja { .. } | Insn::MayGoto { .. } | Insn::LdImm64Tail => {}
            Insn::LdImm64 { dst, .. } => need.clear_reg(f, dst),
            Insn::Jmp { dst, src, .. } => {
                let mut set = Marks::default();
                set.set_reg(f, dst);
                if let Operand::Reg(s) = src {
                    set.set_reg(f, s);
                }
                if let Some(l) = self.linked.get(linked as usize) {
                    set.union(l);
                }
                if need.intersects(&set) {
                    need.union(&set);
                }
            }
            Insn::Call(_) | Insn::Callx { .. } | Insn::LdAbs { .. } | Insn::LdInd { .. } => {
                need.regs[f] &= !CALLER_SAVED;
            }
            Insn::Exit => {}
            Insn::Load { dst, .. } => {
                if need.has_reg(f, dst) {
                    need.clear_reg(f, dst);
                    match stack {
                        StackAccess::None => {}
                        StackAccess::Slot { frame, slot } => {
                            need.slots[usize::from(frame)] |= 1 << slot;
                        }
                        StackAccess::Unknown => return false,
                    }
                }
            }
            Insn::Store { size, src, .. } => match stack {
                StackAccess::None => {}
                StackAccess::Slot { frame, slot } => {
                    let fr = usize::from(frame);
                    if need.slots[fr] & (1 << slot) != 0 {
                        if size == Size::DW {
                            need.slots[fr] &= !(1 << slot);
                        }
                        if let Operand::Reg(s) = src {
                            need.set_reg(f, s);
                        }
                    }
                }
                StackAccess::Unknown => {
                    if need.slots.iter().any(|s| *s != 0) {
                        return false;
                    }
                }
            },
            Insn::Atomic { op, dst, src, .. } => {
                let defs = match op {
                    AtomicOp::LoadAcquire => bit(dst),
                    AtomicOp::CmpXchg => 1,
                    _ if op.fetches() => bit(src),
                    _ => 0,
                };
                if need.regs[f] & defs != 0 {
                    return false;
                }
                match stack {
                    StackAccess::None => {}
                    StackAccess::Slot { frame, slot } => {
                        if need.slots[usize::from(frame)] & (1 << slot) != 0 {
                            return false;
                        }
                    }
                    StackAccess::Unknown => {
                        if need.slots.iter().any(|s| *s != 0) {
                            return false;
                        }
                    }
                }
            }
        }
        true
    }

    /// Marks the stack slots in `need` (read after `from`, in a state of `depth + 1` frames)
    /// live in every checkpoint on the chain back to where each was last overwritten whole.
    pub fn mark_read<C: Checkpoints>(
        &self,
        insns: &[Insn],
        cps: &mut C,
        from: u32,
        mut need: Marks,
        depth: usize,
    ) {
        let mut later_depth = depth;
        let mut at = from;
        // Past a call or a return the walk stops following registers one by one (arguments
        // and results cross frames): from there on every register counts as read.
        let mut all_regs = false;
        while at != NO_NODE && !need.is_empty() {
            let node = self.nodes[at as usize];
            match node.kind {
                NodeKind::Checkpoint(id) => {
                    if cps.all_precise(id) {
                        return;
                    }
                    if let Some((st, prec)) = cps.get(id) {
                        let n = st.frames.len().min(MAX_CALL_FRAMES);
                        let mut new = false;
                        for f in 0..n {
                            new |= need.slots[f] & !prec.live_slots[f] != 0;
                            prec.live_slots[f] |= need.slots[f];
                            new |= need.regs[f] & !prec.live_regs[f] != 0;
                            prec.live_regs[f] |= need.regs[f];
                        }
                        for f in n..MAX_CALL_FRAMES {
                            need.slots[f] = 0;
                            need.regs[f] = 0;
                        }
                        if !new {
                            // An earlier walk carried these marks on from here.
                            return;
                        }
                    }
                }
                NodeKind::Insn {
                    pc, depth, stack, ..
                } => {
                    let d = usize::from(depth);
                    if d != later_depth && !all_regs {
                        all_regs = true;
                    }
                    if all_regs {
                        need.regs = [ALL_REGS; MAX_CALL_FRAMES];
                    } else {
                        // Written here: what was read below is not what the state above held.
                        need.regs[d] &= !self.uses_defs(pc).1;
                    }
                    if d < later_depth {
                        // Before the call, the callee's stack did not exist.
                        need.slots[later_depth] = 0;
                    } else if d > later_depth {
                        need.slots[d] = 0;
                    } else if let (
                        Some(Insn::Store { size: Size::DW, .. }),
                        StackAccess::Slot { frame, slot },
                    ) = (insns.get(pc as usize), stack)
                    {
                        // Overwritten whole: what it held before is not what was read.
                        need.slots[usize::from(frame)] &= !(1 << slot);
                    }
                    later_depth = d;
                }
            }
            at = node.parent;
        }
    }

    /// Gives up on following: every checkpoint on the chain from `from` compares every scalar.
    pub fn mark_all<C: Checkpoints>(&self, cps: &mut C, from: u32) {
        let mut at = from;
        while at != NO_NODE {
            let node = self.nodes[at as usize];
            if let NodeKind::Checkpoint(id) = node.kind {
                if cps.all_precise(id) {
                    return;
                }
                cps.set_all_precise(id);
            }
            at = node.parent;
        }
    }
}

/// Marks in a checkpoint the scalars of `need` and drops from `need` what is not a scalar there
/// (a pointer's or a plain stack byte's value is compared anyway), in `prec.demanded` too when
/// `demanded`. Returns whether any mark was new (of the demanded ones, when `demanded`: they
/// are a part of `marks`, so a walk that meets only old ones has nothing left to carry).
fn mark_checkpoint(
    st: &AbstractState,
    prec: &mut Precision,
    need: &mut Marks,
    demanded: bool,
) -> bool {
    let mut new = false;
    for (f, frame) in st.frames.iter().enumerate() {
        let mut regs = need.regs[f];
        while regs != 0 {
            let n = regs.trailing_zeros() as usize;
            regs &= regs - 1;
            if matches!(frame.regs.get(n), Some(RegState::Scalar { .. })) {
                let set = if demanded {
                    &mut prec.demanded
                } else {
                    &mut prec.marks
                };
                new |= set.regs[f] & (1 << n) == 0;
                set.regs[f] |= 1 << n;
                prec.marks.regs[f] |= 1 << n;
            } else {
                need.regs[f] &= !(1 << n);
            }
        }
        let mut slots = need.slots[f];
        while slots != 0 {
            let s = slots.trailing_zeros() as usize;
            slots &= slots - 1;
            // A narrow spill (some bytes spilled) holds a scalar whose value is compared too.
            let spilled_scalar = frame.slot(s).is_some_and(|sl| {
                sl.bytes.contains(&StackByte::Spill)
                    && matches!(sl.spilled, Some(RegState::Scalar { .. }))
            });
            if spilled_scalar {
                let set = if demanded {
                    &mut prec.demanded
                } else {
                    &mut prec.marks
                };
                new |= set.slots[f] & (1 << s) == 0;
                set.slots[f] |= 1 << s;
                prec.marks.slots[f] |= 1 << s;
            } else {
                need.slots[f] &= !(1 << s);
            }
        }
    }
    for f in st.frames.len()..MAX_CALL_FRAMES {
        need.clear_frame(f);
    }
    new
}
