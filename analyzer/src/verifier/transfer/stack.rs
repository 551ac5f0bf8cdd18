//! Stack accesses: spills and fills of whole registers, byte-wise initialization tracking, and
//! the kernel's bounds and alignment rules for the 512-byte frame.

use super::{Res, Vm};
use crate::isa::{InsnIdx, Reg};
use crate::rules::HelperSig;
use crate::verifier::domain::Scalar;
use crate::verifier::env::KernelVersion;
use crate::verifier::state::{
    AbstractState, Delta, Frame, Pointer, PtrKind, RegState, StackByte, STACK_SIZE,
};
use crate::verifier::violation::{Code, Violation};

impl Vm<'_> {
    /// Checks that `[off, off + size)` lies inside the frame (`check_stack_access_within_bounds`).
    pub(super) fn stack_bounds(
        &self,
        pc: InsnIdx,
        reg: Reg,
        off: i64,
        size: u32,
        write: bool,
    ) -> Res<()> {
        // `off < 0` matters only for empty accesses (helpers given a zero size): the kernel
        // wants even those to start inside the frame.
        if off >= -i64::from(STACK_SIZE) && off < 0 && off + i64::from(size) <= 0 {
            return Ok(());
        }
        let what = if write { "write to" } else { "read from" };
        Err(Violation::new(
            Code::StackOutOfBounds,
            pc,
            format!(
                "{size}-byte {} the stack at fp{off:+} is outside the 512-byte frame",
                if write { "write to" } else { "read from" }
            ),
            format!("invalid {what} stack R{} off={off} size={size}", reg.num()),
        )
        .with_note("the frame spans fp-512 to fp-1"))
    }

    /// Unprivileged, a read may not start below the stack the frame has used so far (the
    /// kernel's `check_stack_slot_within_bounds`: without `allow_uninit_stack` the lowest
    /// readable offset is `-allocated_stack`), checked with the frame's other bounds, before
    /// what the bytes hold: "invalid read from stack R6 off=-8 size=8" for a helper given
    /// never-written fp-8.
    pub(super) fn stack_read_allocated(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        reg: Reg,
        frame: usize,
        off: i64,
        size: u32,
    ) -> Res<()> {
        let allocated = i64::from(st.frames[frame].stack_depth());
        if self.opts.privileged || off >= -allocated {
            return Ok(());
        }
        // For the user it is a read of never-written stack (the fix is the same); the kernel
        // words it as a bounds fault.
        Err(Violation::new(
            Code::UninitStackRead,
            pc,
            format!("{size}-byte read at fp{off:+} includes bytes never written on this path"),
            format!(
                "invalid read from stack R{} off={off} size={size}",
                reg.num()
            ),
        )
        .with_note(format!(
            "unprivileged programs may read only stack they have written ({allocated} bytes so far)"
        )))
    }

    /// Stack accesses must be aligned to their size.
    pub(super) fn stack_alignment(
        &self,
        pc: InsnIdx,
        p: &Pointer,
        insn_off: i16,
        size: u32,
    ) -> Res<()> {
        let off = i64::from(p.off) + i64::from(insn_off);
        if off.rem_euclid(i64::from(size)) == 0 {
            return Ok(());
        }
        Err(Violation::new(
            Code::MisalignedAccess,
            pc,
            format!("{size}-byte stack access at fp{off:+} is not aligned to {size} bytes"),
            format!(
                "misaligned stack access off {}+{}+{insn_off} size {size}",
                p.var_off.kernel_off_str(),
                p.off
            ),
        ))
    }

    /// Writes `val` (or an unknown value when `None`) to `size` bytes at `fp + off` of `frame`.
    pub(super) fn stack_write(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        frame: usize,
        off: i64,
        size: u32,
        val: Option<&RegState>,
    ) -> Res<()> {
        if let Some(RegState::Ptr(_)) = val {
            if size != 8 {
                return Err(Violation::new(
                    Code::InvalidSpill,
                    pc,
                    format!("a pointer can only be spilled to the stack with an 8-byte store, not {size} bytes"),
                    "invalid size of register spill",
                ));
            }
        }
        if let Some(RegState::Ptr(Pointer {
            kind: PtrKind::Stack { frame: pointee },
            ..
        })) = val
        {
            if (*pointee as usize) > frame {
                return Err(Violation::new(
                    Code::InvalidSpill,
                    pc,
                    "a pointer into a callee's stack is stored in a caller's frame, where it would outlive the callee",
                    "cannot spill pointers to stack into stack frame of the caller",
                ));
            }
        }
        // A store into a dynptr destroys it (refused for one holding a reference).
        self.destroy_dynptrs(st, pc, frame, off, size)?;
        let frame = &mut st.frames[frame];
        let first = (-off - 1) as usize / 8;
        // Unprivileged programs may not overwrite part of a spilled pointer: the rest of it
        // could be read back as data (`check_stack_write_fixed_off`).
        if !self.opts.privileged
            && size != 8
            && matches!(
                frame.slot(first).and_then(|s| s.spilled.as_ref()),
                Some(RegState::Ptr(_))
            )
        {
            return Err(Violation::new(
                Code::InvalidSpill,
                pc,
                format!("a {size}-byte store at fp{off:+} overwrites part of a spilled pointer"),
                "attempt to corrupt spilled pointer on stack",
            ));
        }
        // Only pointers are spilled for unprivileged programs: the kernel keeps a spilled
        // scalar's state only when the loader is bpf_capable, and otherwise stores plain
        // bytes (zero bytes for a known zero), so a fill gives back an unknown value. Before
        // 6.8 only some scalars are kept (`ScalarSpills::Bounded`).
        let rules = scalar_spills(self.opts.kernel, self.opts.privileged);
        let spills = match val {
            Some(RegState::Ptr(_)) => true,
            Some(RegState::Scalar { v, .. }) => rules.keeps(v),
            _ => rules != ScalarSpills::None,
        };
        if size == 8 && off % 8 == 0 && spills {
            if let Some(v) = val {
                let slot = frame.slot_mut(first);
                slot.bytes = [StackByte::Spill; 8];
                slot.spilled = Some(v.clone());
                slot.iter = None;
                return Ok(());
            }
        }
        // A privileged narrow store of a scalar at the start of a slot is a narrow spill: the
        // kernel keeps the whole register's state and marks only the written bytes as spilled
        // (`save_register_state` with a size below 8). The rest of the slot keeps zero and
        // never-written bytes; anything else there becomes plain data.
        if let (Some(RegState::Scalar { v, id, delta }), true, 0) =
            (val, spills && rules.narrow(), off.rem_euclid(8))
        {
            let slot = frame.slot_mut(first);
            // Before 6.8 the rest of the slot keeps only its never-written bytes
            // (`scrub_spilled_slot`): zero bytes become plain data too.
            let keeps_zero = rules == ScalarSpills::All;
            for (i, b) in slot.bytes.iter_mut().enumerate() {
                if i < size as usize {
                    *b = StackByte::Spill;
                } else if *b == StackByte::Spill || (*b == StackByte::Zero && !keeps_zero) {
                    *b = StackByte::Misc;
                }
            }
            // A spill that cuts off set bits no longer equals the register: unlink it.
            let (id, delta) = if v.width_bits() <= size * 8 {
                (*id, *delta)
            } else {
                (0, Delta::Same)
            };
            slot.spilled = Some(RegState::Scalar { v: *v, id, delta });
            slot.iter = None;
            return Ok(());
        }
        let zero = val.and_then(RegState::as_scalar).and_then(Scalar::as_const) == Some(0);
        let byte = if zero {
            StackByte::Zero
        } else {
            StackByte::Misc
        };
        for b in off..off + i64::from(size) {
            let i = (-b - 1) as usize;
            let slot = frame.slot_mut(i / 8);
            // A store into an iterator's slot destroys the iterator (its reference stays).
            slot.iter = None;
            if slot.spilled.is_some() {
                // Overwriting part of a spill turns the rest of it into plain bytes; before
                // 6.8, the slot's zero bytes too (`scrub_spilled_slot` over the whole slot).
                if rules != ScalarSpills::All {
                    for x in &mut slot.bytes {
                        if *x == StackByte::Zero {
                            *x = StackByte::Misc;
                        }
                    }
                }
                for x in &mut slot.bytes {
                    if *x == StackByte::Spill {
                        *x = if slot
                            .spilled
                            .as_ref()
                            .and_then(RegState::as_scalar)
                            .and_then(Scalar::as_const)
                            == Some(0)
                        {
                            StackByte::Zero
                        } else {
                            StackByte::Misc
                        };
                    }
                }
                slot.spilled = None;
            }
            slot.bytes[7 - i % 8] = byte;
        }
        Ok(())
    }

    /// Reads `size` bytes at `fp + off` of `frame` into a register state.
    pub(super) fn stack_read(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        frame: usize,
        off: i64,
        size: u32,
    ) -> Res<RegState> {
        let f = &st.frames[frame];
        let first = (-off - 1) as usize / 8;
        if size == 8 && off % 8 == 0 {
            if let Some(slot) = f.slot(first) {
                if let (Some(v), true) = (
                    &slot.spilled,
                    slot.bytes.iter().all(|b| *b == StackByte::Spill),
                ) {
                    return Ok(v.clone());
                }
            }
        }
        if let Some(v) = self.narrow_fill(f, first, off, size) {
            return Ok(v);
        }
        let mut all_zero = true;
        for b in off..off + i64::from(size) {
            let i = (-b - 1) as usize;
            if f.slot(i / 8).is_some_and(|s| s.holds_object()) {
                let what = if f.slot(i / 8).is_some_and(|s| s.iter.is_some()) {
                    "an open-coded iterator"
                } else {
                    "a dynptr"
                };
                return Err(Violation::new(
                    Code::InvalidMemAccess,
                    pc,
                    format!("a {size}-byte read at fp{off:+} reads the opaque state of {what}"),
                    format!("invalid read from stack off {off}+{} size {size}", b - off),
                ));
            }
            let byte = f
                .slot(i / 8)
                .map_or(StackByte::Invalid, |s| s.bytes[7 - i % 8]);
            match byte {
                StackByte::Zero => {}
                StackByte::Misc => all_zero = false,
                StackByte::Spill => {
                    let spilled = f.slot(i / 8).and_then(|s| s.spilled.as_ref());
                    if let Some(RegState::Ptr(_)) = spilled {
                        return Err(Violation::new(
                            Code::InvalidSpill,
                            pc,
                            format!(
                                "a {size}-byte read at fp{off:+} takes part of a spilled pointer"
                            ),
                            "invalid size of register fill",
                        ));
                    }
                    all_zero &= spilled
                        .and_then(RegState::as_scalar)
                        .and_then(Scalar::as_const)
                        == Some(0);
                }
                StackByte::Invalid => {
                    if !self.opts.privileged {
                        return Err(Violation::new(
                            Code::UninitStackRead,
                            pc,
                            format!("{size}-byte read at fp{off:+} includes bytes never written on this path"),
                            format!("invalid read from stack off {off}+{} size {size}", b - off),
                        ));
                    }
                    all_zero = false;
                }
            }
        }
        if size > 8 {
            return Ok(RegState::unknown());
        }
        Ok(if all_zero {
            RegState::scalar_const(0)
        } else {
            RegState::scalar(Scalar::unknown_bytes(size))
        })
    }

    /// Whether a spill links the stack slot to its register by giving the register an id
    /// first: for privileged programs, from Linux 6.8 (with the rest of `ScalarSpills::All`);
    /// older kernels link them only when the register already had an id.
    pub(super) fn links_before_spill(&self) -> bool {
        scalar_spills(self.opts.kernel, self.opts.privileged) == ScalarSpills::All
    }

    /// A privileged read of `size < 8` bytes from the start of a slot whose first `size` or more
    /// bytes hold a spilled scalar restores that scalar, truncated to the read's size; it stays
    /// linked to the register it was spilled from while no set bit is cut off (the kernel's
    /// narrow fill in `check_stack_read_fixed_off`). `None` when the read is not such a fill.
    fn narrow_fill(&self, f: &Frame, first: usize, off: i64, size: u32) -> Option<RegState> {
        let rules = scalar_spills(self.opts.kernel, self.opts.privileged);
        if !rules.narrow() || size >= 8 || off.rem_euclid(8) != 0 {
            return None;
        }
        let slot = f.slot(first)?;
        let spill_size = slot
            .bytes
            .iter()
            .take_while(|b| **b == StackByte::Spill)
            .count();
        let Some(RegState::Scalar { v, id, delta }) = &slot.spilled else {
            return None;
        };
        // Before 6.8 only a fill of exactly the spilled size restores the register.
        let fits = match rules {
            ScalarSpills::All => size as usize <= spill_size,
            _ => size as usize == spill_size,
        };
        if !fits || slot.holds_object() {
            return None;
        }
        let (id, delta) = if v.width_bits() <= size * 8 {
            (*id, *delta)
        } else {
            (0, Delta::Same)
        };
        Some(RegState::Scalar {
            v: v.truncate_bytes(size),
            id,
            delta,
        })
    }

    /// Checks that every byte of `[off, off+size)` is initialized, for helper arguments that
    /// the helper reads.
    pub(super) fn stack_initialized(
        &self,
        st: &AbstractState,
        pc: InsnIdx,
        reg: Reg,
        frame: usize,
        off: i64,
        size: u32,
    ) -> Res<()> {
        let f = &st.frames[frame];
        // A dynptr's bytes are no memory a helper may read, privileged or not.
        for b in off..(off + i64::from(size)).min(0) {
            let i = (-b - 1) as usize;
            if f.slot(i / 8).is_some_and(|s| s.dynptr.is_some()) {
                return Err(Violation::new(
                    Code::UninitStackRead,
                    pc,
                    format!("the helper reads {size} bytes at fp{off:+} through {reg}, and fp{b:+} is part of a dynptr"),
                    format!("invalid read from stack R{} off {off}+{} size {size}", reg.num(), b - off),
                ));
            }
        }
        if self.opts.privileged {
            return Ok(());
        }
        for b in off..off + i64::from(size) {
            let i = (-b - 1) as usize;
            let byte = f
                .slot(i / 8)
                .map_or(StackByte::Invalid, |s| s.bytes[7 - i % 8]);
            let spilled_ptr = byte == StackByte::Spill
                && matches!(
                    f.slot(i / 8).and_then(|s| s.spilled.as_ref()),
                    Some(RegState::Ptr(_))
                );
            // A helper reading a spilled pointer's bytes would leak the address.
            if byte == StackByte::Invalid || spilled_ptr {
                return Err(Violation::new(
                    Code::UninitStackRead,
                    pc,
                    format!("the helper reads {size} bytes at fp{off:+} through {reg}, but fp{b:+} was never written"),
                    format!("invalid indirect read from stack R{} off {off}+{} size {size}", reg.num(), b - off),
                ));
            }
        }
        Ok(())
    }

    /// Marks `[off, off+size)` as written by a helper (unknown contents).
    pub(super) fn stack_mark_written(
        &self,
        st: &mut AbstractState,
        frame: usize,
        off: i64,
        size: u32,
    ) {
        // Callers refuse writes into a dynptr first; one that got here is gone.
        let dynptrs: Vec<u32> = (off..(off + i64::from(size)).min(0))
            .filter_map(|b| st.frames[frame].slot((-b - 1) as usize / 8)?.dynptr)
            .map(|d| d.id)
            .collect();
        for id in dynptrs {
            super::dynptr::forget_dynptr(st, id);
        }
        let f = &mut st.frames[frame];
        for b in off..off + i64::from(size) {
            let i = (-b - 1) as usize;
            // A byte already written as `Misc`, in a slot holding no spill or iterator, stays
            // as it is: writing it anyway would copy a slot the state shares with its
            // checkpoints (a helper filling the same buffer turn after turn of a loop).
            let already = f.slot(i / 8).is_some_and(|s| {
                s.spilled.is_none()
                    && s.iter.is_none()
                    && s.bytes[7 - i % 8] == StackByte::Misc
                    && !s.bytes.contains(&StackByte::Spill)
            });
            if already {
                continue;
            }
            let slot = f.slot_mut(i / 8);
            slot.spilled = None;
            slot.iter = None;
            for x in &mut slot.bytes {
                if *x == StackByte::Spill {
                    *x = StackByte::Misc;
                }
            }
            slot.bytes[7 - i % 8] = StackByte::Misc;
        }
    }

    /// A helper's memory argument on the stack at a variable offset: privileged programs may
    /// pass one when every offset it can take stays inside the frame; a helper that writes
    /// there leaves the whole span written (the kernel's `check_stack_range_initialized` with
    /// a non-constant `var_off`, after `check_stack_access_within_bounds`).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn helper_stack_var_range(
        &self,
        st: &mut AbstractState,
        pc: InsnIdx,
        h: &HelperSig,
        r: Reg,
        p: &Pointer,
        frame: u8,
        size: u32,
        uninit: bool,
    ) -> Res<()> {
        /// Variable offsets the kernel does not even bound-check (`BPF_MAX_VAR_OFF`).
        const MAX_VAR_OFF: i64 = 1 << 29;
        let n = r.num();
        let rw = if uninit { "write to" } else { "read from" };
        let var_off = p.var_off.kernel_off_str();
        let (smin, smax) = (p.var_off.smin(), p.var_off.smax());
        if smax >= MAX_VAR_OFF || smin <= -MAX_VAR_OFF {
            return Err(Violation::new(
                Code::VariableStackAccess,
                pc,
                format!(
                    "bpf_{} gets a stack pointer in {r} whose variable offset is unbounded",
                    h.name
                ),
                format!("invalid unbounded variable-offset {rw} stack R{n}"),
            ));
        }
        let lo = smin + i64::from(p.off);
        let hi = smax + i64::from(p.off);
        if lo < -i64::from(STACK_SIZE) || hi + i64::from(size) > 0 {
            return Err(Violation::new(
                Code::StackOutOfBounds,
                pc,
                format!(
                    "bpf_{} accesses {size} bytes at fp{lo:+} to fp{hi:+} through {r}, not all inside the stack frame",
                    h.name
                ),
                format!(
                    "invalid variable-offset {rw} stack R{n} var_off={var_off} off={} size={size}",
                    p.off
                ),
            ));
        }
        if !self.opts.privileged {
            return Err(Violation::new(
                Code::VariableStackAccess,
                pc,
                format!("bpf_{} gets a stack pointer with a variable offset", h.name),
                format!(
                    "R{n} variable offset stack access prohibited for !root, var_off={var_off}"
                ),
            ));
        }
        let span = (hi - lo) as u32 + size;
        st.frames[frame as usize].grow_stack(-lo);
        if uninit {
            self.no_dynptr_written(st, pc, frame as usize, lo, span)?;
            self.stack_mark_written(st, frame as usize, lo, span);
            Ok(())
        } else {
            self.stack_initialized(st, pc, r, frame as usize, lo, span)
        }
    }
}

/// Which scalars a store to the stack keeps as a spilled register, so that a fill gives them
/// back, by release and privilege (`check_stack_write_fixed_off`, `check_stack_read_fixed_off`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum ScalarSpills {
    /// Unprivileged loads: none; the stored bytes are plain data (zero bytes for a zero).
    None,
    /// Before 6.8: a scalar with some bound that is not zero (`register_is_bounded`,
    /// `!register_is_null`) stored at a slot's start, with 8 bytes, or with fewer when `narrow`
    /// (from 5.16); a fill restores it only when it reads exactly as many bytes as were
    /// spilled. A zero is stored as zero bytes, anything else as plain data.
    Bounded { narrow: bool },
    /// From 6.8: every scalar stored at a slot's start; a fill of its first bytes restores it,
    /// truncated ("track spilled unbounded scalars", "preserve boundaries and track scalars on
    /// narrowing fill").
    All,
}

impl ScalarSpills {
    /// Whether a store of `v` at a slot's start keeps it as a spilled register.
    fn keeps(self, v: &Scalar) -> bool {
        match self {
            ScalarSpills::None => false,
            ScalarSpills::Bounded { .. } => !v.is_top() && v.as_const() != Some(0),
            ScalarSpills::All => true,
        }
    }

    /// Whether stores of fewer than 8 bytes spill too.
    fn narrow(self) -> bool {
        matches!(
            self,
            ScalarSpills::Bounded { narrow: true } | ScalarSpills::All
        )
    }
}

/// The spill rules of `kernel`. Debian's 6.1.192 keeps a bounded narrow spill and restores it
/// on a fill of the same size (the selftests' `scalar_offset_to_skb_data_1/2` and
/// `stack_load_preserves_const_precision_subreg` load there), and stores an unbounded scalar
/// as plain data. Kernels before 5.10 kept only constants; the bounded rule stands for them
/// too, keeping more than they did.
pub(super) fn scalar_spills(kernel: KernelVersion, privileged: bool) -> ScalarSpills {
    if !privileged {
        ScalarSpills::None
    } else if kernel >= KernelVersion::new(6, 8) {
        ScalarSpills::All
    } else {
        ScalarSpills::Bounded {
            narrow: kernel >= KernelVersion::new(5, 16),
        }
    }
}
