//! `bpf_fastcall`: the kernel's contract for calls that clobber no register (Linux 6.12).
//!
//! Around a call of a fastcall function, a compiler spills the caller-saved registers the call
//! would clobber to the bottom of the frame and fills them right after. The kernel recognises
//! that pattern and, when no other instruction touches those slots, removes the spills and
//! fills and leaves their bytes out of the function's stack depth. The depth it then reports,
//! and counts toward the 512-byte limit of a call chain, is what is left above them
//! (`verifier_bpf_fastcall`'s `simple`: spills at fp-48..fp-16, "stack depth 8").
//!
//! The kernel decides "no other instruction" while exploring; here it is decided from the
//! code, conservatively: any other use of `r10` than a fixed-offset access at or above the
//! spill area keeps the area, as the kernel keeps it on any access it cannot rule out. A kept
//! area only costs depth, so the approximation can reject what the kernel accepts, never the
//! reverse.

use crate::cfg::Cfg;
use crate::isa::{AluOp, CallTarget, Insn, Operand, Reg, Size};

/// Helpers the kernel treats as fastcall on x86-64 (it inlines them): `get_smp_processor_id`.
const FASTCALL_HELPERS: &[i32] = &[8];

/// The registers a fastcall call with `args` arguments leaves for the pattern to save:
/// r1..r5 less the arguments (r0 carries the result).
fn clobbered(args: u8) -> u8 {
    (1..=5u8).filter(|r| *r > args).fold(0, |m, r| m | (1 << r))
}

fn is_fp_spill(insn: &Insn) -> Option<(Reg, i16)> {
    match insn {
        Insn::Store {
            size: Size::DW,
            dst: Reg::R10,
            off,
            src: Operand::Reg(r),
        } => Some((*r, *off)),
        _ => None,
    }
}

fn is_fp_fill(insn: &Insn) -> Option<(Reg, i16)> {
    match insn {
        Insn::Load {
            size: Size::DW,
            sign_extend: false,
            dst,
            src: Reg::R10,
            off,
        } => Some((*dst, *off)),
        _ => None,
    }
}

/// Lowers each subprogram's `depth` as the kernel does where its fastcall spill area is
/// removed.
pub fn apply(insns: &[Insn], cfg: &Cfg, depth: &mut [u32]) {
    for (sp, d) in cfg.subprogs().iter().zip(depth.iter_mut()) {
        let body = &insns[sp.start.idx()..sp.end.idx()];
        if let Some(top) = area_top(body) {
            *d = (*d).min(u32::from(top.unsigned_abs()));
        }
    }
}

/// The upper end (an fp offset) of the subprogram's removable spill area, if it has one.
fn area_top(body: &[Insn]) -> Option<i16> {
    // The area starts at the lowest 8-byte spill slot of the function.
    let lowest = body.iter().filter_map(is_fp_spill).map(|(_, o)| o).min()?;
    let mut pattern = vec![false; body.len()];
    let mut top: Option<i16> = None;
    for (at, insn) in body.iter().enumerate() {
        let Insn::Call(CallTarget::Helper(id)) = insn else {
            continue;
        };
        if !FASTCALL_HELPERS.contains(id) {
            continue;
        }
        let mut expected = clobbered(0);
        let mut off = lowest;
        let mut n = 0;
        for i in 1..=5usize {
            let (Some(before), Some(after)) = (
                at.checked_sub(i).and_then(|b| body.get(b)),
                body.get(at + i),
            ) else {
                break;
            };
            let (Some((sr, so)), Some((fr, fo))) = (is_fp_spill(before), is_fp_fill(after)) else {
                break;
            };
            let bit = 1u8 << sr.num();
            if sr != fr || so != off || fo != off || expected & bit == 0 {
                break;
            }
            expected &= !bit;
            pattern[at - i] = true;
            pattern[at + i] = true;
            n += 1;
            off += 8;
        }
        if n > 0 {
            top = Some(top.map_or(off, |t: i16| t.max(off)));
        }
    }
    let top = top?;
    // Any other use of the frame pointer that may reach below `top` keeps the area.
    let keeps = body.iter().enumerate().any(|(i, insn)| {
        if pattern[i] {
            return false;
        }
        match insn {
            Insn::Store {
                dst: Reg::R10, off, ..
            }
            | Insn::Load {
                src: Reg::R10, off, ..
            }
            | Insn::Atomic {
                dst: Reg::R10, off, ..
            } => *off < top,
            Insn::Alu {
                op: AluOp::Mov,
                src: Operand::Reg(Reg::R10),
                ..
            } => true,
            Insn::Store {
                src: Operand::Reg(Reg::R10),
                ..
            }
            | Insn::Atomic { src: Reg::R10, .. } => true,
            _ => false,
        }
    });
    (!keeps).then_some(top)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spill(r: u8, off: i16) -> Insn {
        Insn::Store {
            size: Size::DW,
            dst: Reg::R10,
            off,
            src: Operand::Reg(Reg::new(r).expect("register")),
        }
    }

    fn fill(r: u8, off: i16) -> Insn {
        Insn::Load {
            size: Size::DW,
            sign_extend: false,
            dst: Reg::new(r).expect("register"),
            src: Reg::R10,
            off,
        }
    }

    #[test]
    fn the_kernels_simple_case_keeps_only_what_is_above_the_spills() {
        // verifier_bpf_fastcall `simple`: r1..r5 at fp-16..fp-48, the kernel says depth 8.
        let mut body: Vec<Insn> = (1..=5).map(|r| spill(r, -8 - 8 * i16::from(r))).collect();
        body.push(Insn::Call(CallTarget::Helper(8)));
        body.extend((1..=5).rev().map(|r| fill(r, -8 - 8 * i16::from(r))));
        body.push(Insn::Exit);
        assert_eq!(area_top(&body), Some(-8));
    }

    #[test]
    fn another_access_to_the_area_or_another_helper_keeps_it() {
        let pattern = |helper: i32| {
            vec![
                spill(1, -8),
                Insn::Call(CallTarget::Helper(helper)),
                fill(1, -8),
            ]
        };
        assert_eq!(area_top(&pattern(8)), Some(0));
        assert_eq!(area_top(&pattern(5)), None);
        let mut read = pattern(8);
        read.push(fill(2, -8));
        assert_eq!(area_top(&read), None);
        let mut escape = pattern(8);
        escape.push(Insn::Alu {
            width: crate::isa::Width::W64,
            op: AluOp::Mov,
            dst: Reg::R2,
            src: Operand::Reg(Reg::R10),
        });
        assert_eq!(area_top(&escape), None);
    }
}
