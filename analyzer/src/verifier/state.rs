//! The abstract machine state: registers, stack slots, frames, and references, as the kernel's
//! `bpf_reg_state` / `bpf_func_state` / `bpf_verifier_state` describe them.
//!
//! γ of an [`AbstractState`]: every concrete machine state whose registers and stack bytes are
//! each in the concretization of the corresponding abstract element. Pointers stand for
//! `base(kind) + off + v` for every `v` in `var_off`.

use super::domain::Scalar;
pub use super::ptr_kind::{PtrKind, Trust};
pub use super::regs::Regs;
pub use super::stack::Stack;
use crate::isa::{InsnIdx, Reg};
use std::fmt;

/// Bytes of stack per frame.
pub const STACK_SIZE: i32 = 512;
/// Slots of 8 bytes per frame.
pub const STACK_SLOTS: usize = (STACK_SIZE / 8) as usize;
/// Deepest call chain the kernel allows.
pub const MAX_CALL_FRAMES: usize = 8;

/// A pointer register: `base + off + var_off`.
#[derive(Clone, PartialEq, Debug, Hash)]
pub struct Pointer {
    pub kind: PtrKind,
    /// The constant part of the offset.
    pub off: i32,
    /// The variable part of the offset.
    pub var_off: Scalar,
    /// Ties copies together: copies of one NULL-able pointer share it so that one NULL check
    /// refines all; packet pointers with the same variable offset share it so that one bounds
    /// check marks all. 0 means "no id".
    pub id: u32,
    /// The acquired reference this pointer holds (0: none).
    pub ref_obj_id: u32,
    /// For a slice of a dynptr (and a pointer to a dynptr passed by reference): the dynptr's
    /// id, so that overwriting or releasing the dynptr invalidates it (0: none).
    pub dynptr_id: u32,
    /// For packet pointers: bytes proven accessible from the packet start plus `off`.
    pub range: i32,
    /// For an inner map of a map of maps whose values hold a timer or work queue, and for
    /// values looked up in it: which lookup of the outer map it came from (the kernel's
    /// `map_uid`, the lookup's NULL-check id), so that `bpf_timer_init` can refuse a timer of
    /// one inner map with another inner map (0: a map named directly).
    pub map_uid: u32,
    /// `PTR_MAYBE_NULL`: must be checked against NULL before use.
    pub maybe_null: bool,
}

impl Pointer {
    pub fn new(kind: PtrKind) -> Pointer {
        Pointer {
            kind,
            off: 0,
            var_off: Scalar::constant(0),
            id: 0,
            ref_obj_id: 0,
            dynptr_id: 0,
            range: 0,
            map_uid: 0,
            maybe_null: false,
        }
    }

    /// Whether the variable part is exactly zero.
    pub fn has_const_off(&self) -> bool {
        self.var_off.as_const() == Some(0)
    }
}

/// How a linked scalar relates to the value `C` its id names (the kernel's `BPF_ADD_CONST`
/// flags with `reg->off`): itself (`C`), `C + d` in 64 bits, or the 32-bit sum `C + d`
/// zero-extended. A register moved by a constant once keeps its link; a second move, or any
/// other operation, unlinks it.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, Hash)]
pub enum Delta {
    #[default]
    Same,
    Add64(i32),
    Add32(i32),
}

impl Delta {
    /// The constant `d`, 0 for `Same`.
    pub fn off(self) -> i32 {
        match self {
            Delta::Same => 0,
            Delta::Add64(d) | Delta::Add32(d) => d,
        }
    }
}

/// The abstract value of one register.
#[derive(Clone, PartialEq, Debug, Default, Hash)]
pub enum RegState {
    /// Never written (`NOT_INIT`): reading it is an error.
    #[default]
    Uninit,
    /// A number. Copies of one scalar share a non-zero `id`, so that a bound learnt on one
    /// (at a branch) holds for all (the kernel's `sync_linked_regs`); `delta` says how this
    /// one differs from the value the id names (a copy moved by a constant).
    Scalar {
        v: Scalar,
        id: u32,
        delta: Delta,
    },
    Ptr(Pointer),
}

impl RegState {
    pub fn scalar(v: Scalar) -> RegState {
        RegState::Scalar {
            v,
            id: 0,
            delta: Delta::Same,
        }
    }

    pub fn scalar_const(v: u64) -> RegState {
        RegState::scalar(Scalar::constant(v))
    }

    pub fn unknown() -> RegState {
        RegState::scalar(Scalar::top())
    }

    pub fn ptr(kind: PtrKind) -> RegState {
        RegState::Ptr(Pointer::new(kind))
    }

    pub fn as_scalar(&self) -> Option<&Scalar> {
        match self {
            RegState::Scalar { v, .. } => Some(v),
            _ => None,
        }
    }

    pub fn as_ptr(&self) -> Option<&Pointer> {
        match self {
            RegState::Ptr(p) => Some(p),
            _ => None,
        }
    }

    pub fn is_init(&self) -> bool {
        !matches!(self, RegState::Uninit)
    }

    /// [`RegState::type_name`], formatted only when displayed: the memory access and pointer
    /// arithmetic checks name the type in their messages, and building the string on every
    /// access, error or not, was an allocation per processed instruction.
    pub fn type_name_shown(&self) -> TypeName<'_> {
        TypeName(self)
    }

    /// The kernel's name for this register's type.
    pub fn type_name(&self) -> String {
        match self {
            RegState::Uninit => "?".to_string(),
            RegState::Scalar { .. } => "scalar".to_string(),
            // The kernel spells kernel objects with their trust as a prefix and a NULL-able
            // one as `ptr_or_null_` (its `reg_type_str`).
            RegState::Ptr(Pointer {
                kind: PtrKind::BtfId { trust, .. },
                maybe_null,
                ..
            }) => {
                let prefix = match trust {
                    Trust::Trusted => "trusted_",
                    Trust::Rcu => "rcu_",
                    Trust::Marked => "untrusted_",
                    Trust::Untrusted => "",
                };
                let null = if *maybe_null { "or_null_" } else { "" };
                format!("{prefix}ptr_{null}")
            }
            // `MEM_PERCPU` and `MEM_RCU` print as prefixes, in that order.
            RegState::Ptr(Pointer {
                kind: PtrKind::Alloc { percpu, rcu, .. },
                maybe_null,
                ..
            }) => {
                let percpu = if *percpu { "percpu_" } else { "" };
                let rcu = if *rcu { "rcu_" } else { "" };
                let null = if *maybe_null { "or_null_" } else { "" };
                format!("{percpu}{rcu}ptr_{null}")
            }
            RegState::Ptr(p) => {
                let base = p.kind.kernel_name();
                // Read-only memory carries the kernel's `MEM_RDONLY` prefix.
                let prefix = match p.kind {
                    PtrKind::Mem { rdonly: true, .. } => "rdonly_",
                    PtrKind::UntrustedMem => "rdonly_untrusted_",
                    _ => "",
                };
                if p.maybe_null {
                    format!("{prefix}{base}_or_null")
                } else {
                    format!("{prefix}{base}")
                }
            }
        }
    }
}

/// A register's type name, written when displayed (`RegState::type_name_shown`).
#[derive(Clone, Copy, Debug)]
pub struct TypeName<'a>(&'a RegState);

impl fmt::Display for TypeName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.type_name())
    }
}

/// What the kernel knows of one stack byte (`enum bpf_stack_slot_type`).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub enum StackByte {
    /// Never written: reading it is an error (for unprivileged programs).
    #[default]
    Invalid,
    /// Written with something not tracked.
    Misc,
    /// Known to be zero.
    Zero,
    /// Part of a spilled register, whose state is in the slot's `spilled`.
    Spill,
}

/// Eight bytes of stack, aligned to 8 from the frame pointer.
#[derive(Clone, PartialEq, Debug, Default, Hash)]
pub struct StackSlot {
    pub bytes: [StackByte; 8],
    /// The register state spilled here when any byte is `Spill`.
    pub spilled: Option<RegState>,
    /// The open-coded iterator living in this slot (the kernel's `STACK_ITER`), if any. Its
    /// bytes are then `Misc`; any store into the slot destroys it (the reference it holds stays
    /// acquired, so the program is rejected at the next use or at exit, as by the kernel).
    pub iter: Option<IterSlot>,
    /// The dynptr living in this slot (the kernel's `STACK_DYNPTR`), if any: a dynptr covers
    /// two slots, each holding its description. Its bytes are then `Misc`, yet unreadable.
    pub dynptr: Option<DynptrSlot>,
}

impl StackSlot {
    /// Whether the slot holds the opaque state of an iterator or a dynptr, which only the
    /// kfuncs and helpers of that object may touch.
    pub fn holds_object(&self) -> bool {
        self.iter.is_some() || self.dynptr.is_some()
    }
}

/// What memory a dynptr stands for (`enum bpf_dynptr_type`).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub enum DynptrKind {
    /// Program memory: the stack or a map value (`bpf_dynptr_from_mem`).
    Local,
    /// A ring buffer record (`bpf_ringbuf_reserve_dynptr`), which must be submitted or
    /// discarded.
    Ringbuf,
    /// A socket buffer's data (`bpf_dynptr_from_skb`).
    Skb,
    /// An XDP buffer's data (`bpf_dynptr_from_xdp`).
    Xdp,
}

impl DynptrKind {
    /// The kernel's name (`dynptr_type_str`).
    pub fn kernel_name(self) -> &'static str {
        match self {
            DynptrKind::Local => "local",
            DynptrKind::Ringbuf => "ringbuf",
            DynptrKind::Skb => "skb",
            DynptrKind::Xdp => "xdp",
        }
    }

    /// Whether its slices are packet memory, invalidated when the packet may move.
    pub fn is_packet(self) -> bool {
        matches!(self, DynptrKind::Skb | DynptrKind::Xdp)
    }
}

/// A dynptr's description, on each of its two stack slots.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct DynptrSlot {
    pub kind: DynptrKind,
    /// Names this dynptr: its slices carry it (`Pointer::dynptr_id`).
    pub id: u32,
    /// The reference it holds (ring buffer records; clones share it), 0 for none.
    pub ref_obj_id: u32,
    /// Whether this is the slot at the dynptr's lower address (the one its pointer names).
    pub first: bool,
}

/// An open-coded iterator's state on the stack, on each 8-byte slot it covers.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct IterSlot {
    /// The reference `bpf_iter_*_new` acquired; `destroy` releases it.
    pub ref_id: u32,
    /// Whether `next` may still return an element (`active`) or has returned NULL (`drained`).
    pub active: bool,
    /// How many `next` calls returned an element on this path. It tells iterations apart, so
    /// that the exact-equality loop check never mistakes the next iteration for the same state;
    /// subsumption ignores it (the kernel's `iter.depth`).
    pub depth: u32,
    /// The iterator's family (`num` for `struct bpf_iter_num`): `next` and `destroy` of
    /// another family reject it.
    pub family: &'static str,
    /// An RCU-protected iterator whose RCU read section ended (the kernel marks its slots
    /// `PTR_UNTRUSTED`): any further use is refused.
    pub rcu_gone: bool,
}

/// One function's frame: registers and stack, each shared copy-on-write between the states
/// copied from one another (`Regs`, `Stack`), so that copying a frame allocates nothing.
#[derive(Clone, PartialEq, Debug, Hash)]
pub struct Frame {
    pub regs: Regs,
    /// `stack[i]` covers bytes `fp - 8*(i+1) .. fp - 8*i`.
    pub stack: Stack,
    /// Index of the subprogram this frame runs.
    pub subprog: u32,
    /// Where to return to in the caller (the instruction after the call).
    pub return_to: InsnIdx,
    /// For callback frames (`bpf_loop` and friends): the callback's allowed return range.
    pub callback_ret: Option<(i64, i64)>,
    /// For callback frames: the caller's stack when the callback was entered, so that what one
    /// run of the callback changed there can be forgotten (it may run any number of times).
    pub caller_stack_at_entry: Option<Stack>,
    /// How many runs of the callback this frame's pending `bpf_loop`-like call has had
    /// explored on this path (the kernel's `callback_depth`; `loops.rs`).
    pub callback_depth: u32,
    /// The frame runs an rbtree's `less()` callback (graph operations are refused in it).
    pub in_rbtree_less: bool,
}

impl Frame {
    pub fn new(subprog: u32, return_to: InsnIdx) -> Frame {
        Frame {
            regs: Default::default(),
            stack: Stack::default(),
            subprog,
            return_to,
            callback_ret: None,
            caller_stack_at_entry: None,
            callback_depth: 0,
            in_rbtree_less: false,
        }
    }

    pub fn reg(&self, r: Reg) -> &RegState {
        &self.regs[r.idx()]
    }

    pub fn set(&mut self, r: Reg, v: RegState) {
        self.regs[r.idx()] = v;
    }

    /// Deepest stack byte used so far, as a positive depth.
    pub fn stack_depth(&self) -> u32 {
        (self.stack.len() * 8) as u32
    }

    /// Makes the frame at least `depth` bytes deep (rounded up to whole slots), as the kernel
    /// does for every in-bounds stack access, reads included (`grow_stack_state` from
    /// `check_stack_access_within_bounds`): a privileged program's read of never-written stack
    /// counts toward its stack depth, hence toward the 512-byte limit of a call chain.
    pub fn grow_stack(&mut self, depth: i64) {
        let slots = usize::try_from(depth.max(0)).unwrap_or(0).div_ceil(8);
        if self.stack.len() < slots {
            self.stack.resize(slots, StackSlot::default());
        }
    }

    pub fn slot_mut(&mut self, i: usize) -> &mut StackSlot {
        if self.stack.len() <= i {
            self.stack.resize(i + 1, StackSlot::default());
        }
        &mut self.stack[i]
    }

    pub fn slot(&self, i: usize) -> Option<&StackSlot> {
        self.stack.get(i)
    }
}

/// An acquired reference that must be released before `exit` (`bpf_reference_state`).
#[derive(Clone, PartialEq, Eq, Debug, Hash)]
pub struct Reference {
    pub id: u32,
    /// The instruction that acquired it.
    pub acquired_at: InsnIdx,
    /// What acquired it, for messages (e.g. `bpf_ringbuf_reserve`).
    pub acquired_by: &'static str,
}

/// A held `bpf_spin_lock`: where it was taken and which lock it is. A lock is named, as in the
/// kernel, by the map and the id of the map value pointer it lives in (the id its lookup gave,
/// kept through the NULL check), so that unlocking another value's lock is caught.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct HeldLock {
    pub at: InsnIdx,
    pub map: u32,
    pub id: u32,
}

/// A held resilient lock (`bpf_res_spin_lock`, Linux 6.15): which lock, and whether it was
/// taken with `bpf_res_spin_lock_irqsave` (then only `bpf_res_spin_unlock_irqrestore` releases
/// it, restoring the interrupt flags saved with it).
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub struct HeldResLock {
    pub lock: HeldLock,
    pub irq: bool,
}

/// A state's call stack, the innermost frame last. Most states have one frame, kept inline, so
/// that copying a state (a checkpoint, a branch, the singular-id probe) allocates nothing for
/// the list: it was one allocation per copy, the most frequent of the exploration
/// (docs/benchmarks.md, issue 20).
pub type Frames = smallvec::SmallVec<[Frame; 1]>;

/// The whole abstract machine: the call stack of frames and the program-wide state.
/// `repr(C)`: `frames` first, where whether a checkpoint still holds a state is read (see
/// `engine::Checkpoint`).
#[derive(Clone, PartialEq, Debug)]
#[repr(C)]
pub struct AbstractState {
    pub frames: Frames,
    pub refs: Vec<Reference>,
    /// Held `bpf_spin_lock`, if any.
    pub active_lock: Option<HeldLock>,
    /// Held resilient locks, the most recently taken last (they unlock in reverse order).
    pub res_locks: Vec<HeldResLock>,
    /// Inside a `bpf_rcu_read_lock()` section (the kernel's `active_rcu_lock`).
    pub rcu_lock: bool,
    /// Source of fresh ids for pointers and references.
    pub next_id: u32,
    /// How many `may_goto` fall-throughs this path has taken (the kernel's `may_goto_depth`):
    /// two visits of a `may_goto` with different depths are iterations of one loop (see
    /// `loops.rs`). Not compared when pruning: the abstract paths do not depend on it.
    pub may_goto_depth: u32,
}

impl AbstractState {
    pub fn cur(&self) -> &Frame {
        self.frames.last().expect("a state always has a frame")
    }

    pub fn cur_mut(&mut self) -> &mut Frame {
        self.frames.last_mut().expect("a state always has a frame")
    }

    pub fn reg(&self, r: Reg) -> &RegState {
        self.cur().reg(r)
    }

    pub fn set(&mut self, r: Reg, v: RegState) {
        self.cur_mut().set(r, v);
    }

    /// Whether any lock is held, a `bpf_spin_lock` or a resilient one (the kernel's
    /// `active_locks`): calls are restricted and exits refused while one is.
    pub fn holds_lock(&self) -> bool {
        self.active_lock.is_some() || !self.res_locks.is_empty()
    }

    pub fn fresh_id(&mut self) -> u32 {
        self.next_id += 1;
        self.next_id
    }

    /// A new reference the program must release, acquired at `pc` by `by`: its fresh id.
    pub fn acquire(&mut self, pc: InsnIdx, by: &'static str) -> u32 {
        let id = self.fresh_id();
        self.refs.push(Reference {
            id,
            acquired_at: pc,
            acquired_by: by,
        });
        id
    }

    /// The depth of the call stack: 0 in the main program.
    pub fn frame_no(&self) -> usize {
        self.frames.len() - 1
    }

    /// Every register and spilled register of every frame, mutably, for id-wide updates
    /// (NULL-check marking, packet range marking, invalidation after packet-changing helpers).
    pub fn for_each_reg_mut(&mut self, mut f: impl FnMut(&mut RegState)) {
        for frame in &mut self.frames {
            // Registers and stack are shared with other states (`Regs`, `Stack`): only
            // what `f` changes is copied.
            frame.regs.update_each(&mut f);
            frame.stack.update_spilled(|_, s| f(s));
        }
    }
}

impl fmt::Display for RegState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegState::Uninit => write!(f, "?"),
            RegState::Scalar { v, id: 0, .. } => write!(f, "{v}"),
            RegState::Scalar {
                v,
                id,
                delta: Delta::Same,
            } => write!(f, "{v}#{id}"),
            RegState::Scalar { v, id, delta } => write!(f, "{v}#{id}{:+}", delta.off()),
            RegState::Ptr(p) => {
                write!(f, "{}(", self.type_name())?;
                let mut sep = "";
                if p.id != 0 {
                    write!(f, "id={}", p.id)?;
                    sep = ",";
                }
                if p.ref_obj_id != 0 {
                    write!(f, "{sep}ref_obj_id={}", p.ref_obj_id)?;
                    sep = ",";
                }
                if p.off != 0 {
                    write!(f, "{sep}off={}", p.off)?;
                    sep = ",";
                }
                if p.kind.is_packet() {
                    write!(f, "{sep}r={}", p.range)?;
                    sep = ",";
                }
                if let PtrKind::Mem { size, .. } = p.kind {
                    write!(f, "{sep}sz={size}")?;
                    sep = ",";
                }
                if p.kind == PtrKind::UntrustedMem {
                    write!(f, "{sep}sz=0")?;
                    sep = ",";
                }
                if !p.has_const_off() {
                    write!(f, "{sep}var_off={}", p.var_off)?;
                }
                write!(f, ")")
            }
        }
    }
}
