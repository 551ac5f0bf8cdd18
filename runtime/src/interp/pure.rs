//! The pure instructions: ALU operations, `lddw` of a number, and jumps. They touch nothing
//! but the registers and `pc`, so they run in [`run`], a loop small enough for the compiler to
//! keep its state in machine registers; the main loop spills `pc` and the instruction count
//! to the stack around every instruction (it has helper calls, memory access and faults to
//! handle), which cost about a third of the time of an ALU loop.

use super::prepare::{Op, K};
use super::{sdiv32, sdiv64, smod32, smod64, sx};

/// Runs pure instructions from `pc` while there are any and the instruction budget lasts
/// (`n` counted up to `limit`); returns the `pc` of the first instruction it did not run.
#[inline(never)]
pub(super) fn run(ops: &[Op], r: &mut [u64; 16], mut pc: usize, n: &mut u64, limit: u64) -> usize {
    while *n < limit {
        let Some(&o) = ops.get(pc) else {
            break;
        };
        let mut next = pc + 1;
        if !step(o, r, &mut next) {
            break;
        }
        *n += 1;
        pc = next;
    }
    pc
}

/// Whether instructions of kind `k` are pure (the kinds [`step`] runs: two ranges of `K`).
#[inline(always)]
pub(super) fn is_pure(k: K) -> bool {
    k as u8 <= K::LdImm64 as u8 || (K::Ja as u8..=K::Jsle32R as u8).contains(&(k as u8))
}

/// Runs `o` if it is pure (`pc` is already past it), else changes nothing and returns false.
#[inline(always)]
#[allow(clippy::too_many_lines)]
pub(super) fn step(o: Op, r: &mut [u64; 16], pc: &mut usize) -> bool {
    let d = usize::from(o.dst & 15);
    let s = usize::from(o.src & 15);
    let imm = o.imm;
    let (d32, i32_) = (r[d] as u32, imm as u32);
    macro_rules! a32 {
        ($e:expr) => {
            r[d] = u64::from($e)
        };
    }
    macro_rules! jmp {
        ($c:expr) => {
            if $c {
                *pc = o.off as usize;
            }
        };
    }
    match o.k {
        K::Add32I => a32!(d32.wrapping_add(i32_)),
        K::Add32R => a32!(d32.wrapping_add(r[s] as u32)),
        K::Add64I => r[d] = r[d].wrapping_add(imm),
        K::Add64R => r[d] = r[d].wrapping_add(r[s]),
        K::Sub32I => a32!(d32.wrapping_sub(i32_)),
        K::Sub32R => a32!(d32.wrapping_sub(r[s] as u32)),
        K::Sub64I => r[d] = r[d].wrapping_sub(imm),
        K::Sub64R => r[d] = r[d].wrapping_sub(r[s]),
        K::Mul32I => a32!(d32.wrapping_mul(i32_)),
        K::Mul32R => a32!(d32.wrapping_mul(r[s] as u32)),
        K::Mul64I => r[d] = r[d].wrapping_mul(imm),
        K::Mul64R => r[d] = r[d].wrapping_mul(r[s]),
        K::Div32I => a32!(d32.checked_div(i32_).unwrap_or(0)),
        K::Div32R => a32!(d32.checked_div(r[s] as u32).unwrap_or(0)),
        K::Div64I => r[d] = r[d].checked_div(imm).unwrap_or(0),
        K::Div64R => r[d] = r[d].checked_div(r[s]).unwrap_or(0),
        K::SDiv32I => a32!(sdiv32(d32, i32_)),
        K::SDiv32R => a32!(sdiv32(d32, r[s] as u32)),
        K::SDiv64I => r[d] = sdiv64(r[d], imm),
        K::SDiv64R => r[d] = sdiv64(r[d], r[s]),
        K::Mod32I => a32!(d32.checked_rem(i32_).unwrap_or(d32)),
        K::Mod32R => a32!(d32.checked_rem(r[s] as u32).unwrap_or(d32)),
        K::Mod64I => r[d] = r[d].checked_rem(imm).unwrap_or(r[d]),
        K::Mod64R => r[d] = r[d].checked_rem(r[s]).unwrap_or(r[d]),
        K::SMod32I => a32!(smod32(d32, i32_)),
        K::SMod32R => a32!(smod32(d32, r[s] as u32)),
        K::SMod64I => r[d] = smod64(r[d], imm),
        K::SMod64R => r[d] = smod64(r[d], r[s]),
        K::Or32I => a32!(d32 | i32_),
        K::Or32R => a32!(d32 | r[s] as u32),
        K::Or64I => r[d] |= imm,
        K::Or64R => r[d] |= r[s],
        K::And32I => a32!(d32 & i32_),
        K::And32R => a32!(d32 & r[s] as u32),
        K::And64I => r[d] &= imm,
        K::And64R => r[d] &= r[s],
        K::Lsh32I => a32!(d32.wrapping_shl(i32_)),
        K::Lsh32R => a32!(d32.wrapping_shl(r[s] as u32)),
        K::Lsh64I => r[d] = r[d].wrapping_shl(i32_),
        K::Lsh64R => r[d] = r[d].wrapping_shl(r[s] as u32),
        K::Rsh32I => a32!(d32.wrapping_shr(i32_)),
        K::Rsh32R => a32!(d32.wrapping_shr(r[s] as u32)),
        K::Rsh64I => r[d] = r[d].wrapping_shr(i32_),
        K::Rsh64R => r[d] = r[d].wrapping_shr(r[s] as u32),
        K::Arsh32I => a32!((d32 as i32).wrapping_shr(i32_) as u32),
        K::Arsh32R => a32!((d32 as i32).wrapping_shr(r[s] as u32) as u32),
        K::Arsh64I => r[d] = (r[d] as i64).wrapping_shr(i32_) as u64,
        K::Arsh64R => r[d] = (r[d] as i64).wrapping_shr(r[s] as u32) as u64,
        K::Xor32I => a32!(d32 ^ i32_),
        K::Xor32R => a32!(d32 ^ r[s] as u32),
        K::Xor64I => r[d] ^= imm,
        K::Xor64R => r[d] ^= r[s],
        K::Mov32I => a32!(i32_),
        K::Mov32R => a32!(r[s] as u32),
        K::Mov64I => r[d] = imm,
        K::Mov64R => r[d] = r[s],
        K::Neg32 => a32!(d32.wrapping_neg()),
        K::Neg64 => r[d] = r[d].wrapping_neg(),
        K::MovSx32B => a32!(sx(r[s], 8) as u32),
        K::MovSx32H => a32!(sx(r[s], 16) as u32),
        K::MovSx64B => r[d] = sx(r[s], 8),
        K::MovSx64H => r[d] = sx(r[s], 16),
        K::MovSx64W => r[d] = sx(r[s], 32),
        K::Le16 => r[d] = u64::from(r[d] as u16),
        K::Le32 => r[d] = u64::from(d32),
        K::Le64 => {}
        K::Be16 => r[d] = u64::from((r[d] as u16).swap_bytes()),
        K::Be32 => r[d] = u64::from(d32.swap_bytes()),
        K::Be64 => r[d] = r[d].swap_bytes(),
        K::LdImm64 => {
            r[d] = imm;
            *pc += 1;
        }
        K::Ja => *pc = o.off as usize,
        K::Jeq64I => jmp!(r[d] == imm),
        K::Jeq64R => jmp!(r[d] == r[s]),
        K::Jne64I => jmp!(r[d] != imm),
        K::Jne64R => jmp!(r[d] != r[s]),
        K::Jgt64I => jmp!(r[d] > imm),
        K::Jgt64R => jmp!(r[d] > r[s]),
        K::Jge64I => jmp!(r[d] >= imm),
        K::Jge64R => jmp!(r[d] >= r[s]),
        K::Jlt64I => jmp!(r[d] < imm),
        K::Jlt64R => jmp!(r[d] < r[s]),
        K::Jle64I => jmp!(r[d] <= imm),
        K::Jle64R => jmp!(r[d] <= r[s]),
        K::Jset64I => jmp!(r[d] & imm != 0),
        K::Jset64R => jmp!(r[d] & r[s] != 0),
        K::Jsgt64I => jmp!((r[d] as i64) > imm as i64),
        K::Jsgt64R => jmp!((r[d] as i64) > r[s] as i64),
        K::Jsge64I => jmp!((r[d] as i64) >= imm as i64),
        K::Jsge64R => jmp!((r[d] as i64) >= r[s] as i64),
        K::Jslt64I => jmp!((r[d] as i64) < imm as i64),
        K::Jslt64R => jmp!((r[d] as i64) < r[s] as i64),
        K::Jsle64I => jmp!((r[d] as i64) <= imm as i64),
        K::Jsle64R => jmp!((r[d] as i64) <= r[s] as i64),
        K::Jeq32I => jmp!(d32 == i32_),
        K::Jeq32R => jmp!(d32 == r[s] as u32),
        K::Jne32I => jmp!(d32 != i32_),
        K::Jne32R => jmp!(d32 != r[s] as u32),
        K::Jgt32I => jmp!(d32 > i32_),
        K::Jgt32R => jmp!(d32 > r[s] as u32),
        K::Jge32I => jmp!(d32 >= i32_),
        K::Jge32R => jmp!(d32 >= r[s] as u32),
        K::Jlt32I => jmp!(d32 < i32_),
        K::Jlt32R => jmp!(d32 < r[s] as u32),
        K::Jle32I => jmp!(d32 <= i32_),
        K::Jle32R => jmp!(d32 <= r[s] as u32),
        K::Jset32I => jmp!(d32 & i32_ != 0),
        K::Jset32R => jmp!(d32 & r[s] as u32 != 0),
        K::Jsgt32I => jmp!((d32 as i32) > i32_ as i32),
        K::Jsgt32R => jmp!((d32 as i32) > r[s] as i32),
        K::Jsge32I => jmp!((d32 as i32) >= i32_ as i32),
        K::Jsge32R => jmp!((d32 as i32) >= r[s] as i32),
        K::Jslt32I => jmp!((d32 as i32) < (i32_ as i32)),
        K::Jslt32R => jmp!((d32 as i32) < (r[s] as i32)),
        K::Jsle32I => jmp!((d32 as i32) <= i32_ as i32),
        K::Jsle32R => jmp!((d32 as i32) <= r[s] as i32),
        _ => return false,
    }
    true
}
