//! The checks the kernel adds to pointer arithmetic when the program's loader may not bypass
//! Spectre v1 mitigations (no `CAP_PERFMON`, so every unprivileged program): it must be able
//! to mask the offset at run time, so
//! - an offset in a register (not an immediate) may move only a stack or map-value pointer,
//!   must not have mixed-sign bounds, and must start inside the object
//!   (`sanitize_ptr_alu`, `retrieve_ptr_limit`);
//! - every path through one instruction must need the same mask: the same direction and the
//!   same window, recorded per instruction over the whole verification
//!   (`update_alu_sanitation_state`, "tried to add from different maps, paths or scalars");
//! - the result, whatever the offset, must stay inside the stack at a constant offset, or
//!   inside the map value (`sanitize_check_bounds`).
//!
//! Privileged programs skip all of it.

use super::{Res, Vm};
use crate::isa::{AluOp, InsnIdx, Reg};
use crate::verifier::domain::Scalar;
use crate::verifier::state::{Pointer, PtrKind};
use crate::verifier::violation::{Code, Violation};

/// The stack size the kernel masks stack pointers against.
const MAX_BPF_STACK: u32 = 512;

/// What the first half of the check decided, needed again after the operation.
pub(super) struct Window {
    mask_to_left: bool,
    limit: u32,
    state: u32,
}

const ALU_NEG_VALUE: u32 = 1 << 0;
const ALU_SANITIZE_SRC: u32 = 1 << 1;
const ALU_SANITIZE_DST: u32 = 1 << 2;
const ALU_NON_POINTER: u32 = 1 << 3;

fn prohibited(pc: InsnIdx, reg: Reg, what: String) -> Box<Violation> {
    Violation::new(
        Code::PointerArithProhibited,
        pc,
        format!("{what} (unprivileged programs: the kernel must be able to mask the offset against Spectre v1)"),
        format!("R{} {what}, pointer arithmetic with it prohibited for !root", reg.num()),
    )
}

impl Vm<'_> {
    /// How far `p` may move in the masked direction, or why it cannot be masked.
    fn ptr_limit(&self, p: &Pointer, mask_to_left: bool) -> Option<Result<u32, ()>> {
        let (max, limit) = match p.kind {
            PtrKind::Stack { .. } => {
                let value = p.var_off.tnum().0 as i64 + i64::from(p.off);
                (
                    MAX_BPF_STACK + u32::from(mask_to_left),
                    value.wrapping_neg() as u32,
                )
            }
            PtrKind::MapValue { map } => {
                let size = self
                    .input
                    .maps
                    .get(map as usize)
                    .map_or(0, |m| m.value_size);
                let var = if mask_to_left {
                    p.var_off.smin() as u64
                } else {
                    p.var_off.umax()
                };
                (size, (var as u32).wrapping_add(p.off as u32))
            }
            _ => return None,
        };
        Some(if limit >= max { Err(()) } else { Ok(limit) })
    }

    /// The check before `ptr op off` (`dst` is the instruction's destination; the pointer was
    /// in it when `ptr_is_dst`). `None` when no masking is needed.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn spectre_before(
        &self,
        pc: InsnIdx,
        op: AluOp,
        dst: Reg,
        off_reg: Option<Reg>,
        p: &Pointer,
        off: &Scalar,
        ptr_is_dst: bool,
    ) -> Res<Option<Window>> {
        let Some(off_reg) = off_reg else {
            return Ok(None);
        };
        if self.opts.privileged || !matches!(op, AluOp::Add | AluOp::Sub) {
            return Ok(None);
        }
        let off_is_neg = off.smin() < 0;
        if off.as_const().is_none() && off_is_neg != (off.smax() < 0) {
            return Err(prohibited(
                pc,
                off_reg,
                "has unknown scalar with mixed signed bounds".to_owned(),
            ));
        }
        let mask_to_left = (op == AluOp::Add) == off_is_neg;
        let verb = if op == AluOp::Add { "add" } else { "sub" };
        let limit = match self.ptr_limit(p, mask_to_left) {
            None => {
                return Err(prohibited(
                    pc,
                    dst,
                    "has pointer with unsupported alu operation".to_owned(),
                ))
            }
            Some(Err(())) => {
                return Err(prohibited(
                    pc,
                    dst,
                    format!("tried to {verb} beyond pointer bounds"),
                ))
            }
            Some(Ok(l)) => l,
        };
        let mut state = if ptr_is_dst {
            ALU_SANITIZE_SRC
        } else {
            ALU_SANITIZE_DST
        };
        if off_is_neg {
            state |= ALU_NEG_VALUE;
        }
        Ok(Some(Window {
            mask_to_left,
            limit,
            state,
        }))
    }

    /// The checks after the operation: the result's bounds, then the mask every path through
    /// this instruction must share.
    pub(super) fn spectre_after(
        &self,
        pc: InsnIdx,
        op: AluOp,
        dst: Reg,
        res: &Pointer,
        window: Option<Window>,
    ) -> Res<()> {
        if self.opts.privileged {
            return Ok(());
        }
        self.result_in_bounds(pc, dst, res)?;
        let Some(w) = window else {
            return Ok(());
        };
        let verb = if op == AluOp::Add { "add" } else { "sub" };
        let after = match self.ptr_limit(res, w.mask_to_left) {
            Some(Ok(l)) => l,
            Some(Err(())) => {
                return Err(prohibited(
                    pc,
                    dst,
                    format!("tried to {verb} beyond pointer bounds"),
                ))
            }
            None => {
                return Err(prohibited(
                    pc,
                    dst,
                    "has pointer with unsupported alu operation".to_owned(),
                ))
            }
        };
        let limit = (w.limit.wrapping_sub(after) as i32).unsigned_abs();
        self.record_sanitation(pc, op, dst, (w.state, limit))
    }

    /// `scalar op= register` (add or sub) in an unprivileged program: the instruction is
    /// marked as one on scalars, so a path that reaches it with a pointer is refused
    /// (`sanitize_val_alu`).
    pub(super) fn spectre_scalar(&self, pc: InsnIdx, op: AluOp, dst: Reg) -> Res<()> {
        if self.opts.privileged || !matches!(op, AluOp::Add | AluOp::Sub) {
            return Ok(());
        }
        self.record_sanitation(pc, op, dst, (ALU_NON_POINTER, 0))
    }

    /// Records the masking the instruction at `pc` needs, or refuses it when another path
    /// needed another (`update_alu_sanitation_state`).
    fn record_sanitation(&self, pc: InsnIdx, op: AluOp, dst: Reg, mask: (u32, u32)) -> Res<()> {
        let verb = if op == AluOp::Add { "add" } else { "sub" };
        let mut seen = self.alu_sanitation.borrow_mut();
        let Some(slot) = seen.get_mut(pc.idx()) else {
            return Ok(());
        };
        match *slot {
            Some(prev) if prev != mask => Err(prohibited(
                pc,
                dst,
                format!("tried to {verb} from different maps, paths or scalars"),
            )),
            _ => {
                *slot = Some(mask);
                Ok(())
            }
        }
    }

    /// An unprivileged tail call must use one program array on every path: the kernel bounds
    /// the index against that map's size in code it emits once per instruction
    /// (`do_misc_fixups`, after `record_func_map` saw two maps).
    pub(super) fn record_tail_call_map(&self, pc: InsnIdx, map: u32) -> Res<()> {
        if self.opts.privileged {
            return Ok(());
        }
        let mut seen = self.tail_call_maps.borrow_mut();
        let Some(slot) = seen.get_mut(pc.idx()) else {
            return Ok(());
        };
        match *slot {
            Some(prev) if prev != map => Err(Violation::new(
                Code::HelperMapType,
                pc,
                "this tail call is reached with different program arrays on different paths, which unprivileged programs may not do",
                "tail_call abusing map_ptr",
            )),
            _ => {
                *slot = Some(map);
                Ok(())
            }
        }
    }

    /// `sanitize_check_bounds`: a stack pointer at a constant offset inside the stack, a
    /// map-value pointer inside the value.
    fn result_in_bounds(&self, pc: InsnIdx, dst: Reg, res: &Pointer) -> Res<()> {
        let n = dst.num();
        match res.kind {
            PtrKind::Stack { .. } => {
                let Some(var) = res.var_off.as_const() else {
                    let (value, mask) = res.var_off.tnum();
                    return Err(Violation::new(
                        Code::VariableStackAccess,
                        pc,
                        format!("{dst} points into the stack at a variable offset, which unprivileged programs may not do"),
                        format!(
                            "R{n} variable stack access prohibited for !root, var_off=({value:#x}; {mask:#x}) off={}",
                            res.off
                        ),
                    ));
                };
                let off = i64::from(res.off).wrapping_add(var as i64);
                if off >= 0 || off < -i64::from(MAX_BPF_STACK) {
                    return Err(Violation::new(
                        Code::PointerArithProhibited,
                        pc,
                        format!("{dst} would point outside the stack (offset {off}), which unprivileged programs may not do"),
                        format!("R{n} stack pointer arithmetic goes out of range, prohibited for !root; off={off}"),
                    ));
                }
            }
            PtrKind::MapValue { map } => {
                let size = self
                    .input
                    .maps
                    .get(map as usize)
                    .map_or(0, |m| i64::from(m.value_size));
                let lo = i64::from(res.off).saturating_add(res.var_off.smin());
                let hi = i64::from(res.off)
                    .saturating_add(res.var_off.umax().min(i64::MAX as u64) as i64);
                if res.var_off.smin() < 0 || lo < 0 || hi >= size {
                    return Err(Violation::new(
                        Code::MapValueOutOfBounds,
                        pc,
                        format!("{dst} may point outside the {size}-byte map value, which unprivileged programs may not do"),
                        format!("R{n} pointer arithmetic of map value goes out of range, prohibited for !root"),
                    ));
                }
            }
            _ => {}
        }
        Ok(())
    }
}
