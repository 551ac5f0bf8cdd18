//! Kernel functions (kfuncs) the runtime implements, shared by both engines: the dynptr and
//! cpumask kfuncs,
//! the numeric open-coded iterator (`bpf_iter_num_new`, `_next`, `_destroy`, kernel/bpf/bpf_iter.c) and the
//! bits iterator over one 64-bit word (`bpf_iter_bits_*`, kernel/bpf/helpers.c).
//!
//! Which kfunc a call goes to is known by name only (offline the instruction's kernel BTF id is
//! 0): a [`Program`](crate::Program) carries the names per call instruction
//! ([`crate::Program::with_kfuncs`], from the loader's relocations, see [`names`]). Both engines
//! turn a call to a kfunc implemented here into a helper call with a reserved id
//! ([`helper_id`]: negative, so never a real helper's), which their helper paths send to
//! [`call`] before the helper table. A kfunc not implemented here stays an unsupported
//! instruction, as before.
//!
//! The iterator's state is the kernel's: 8 bytes in the program's stack slot, `int cur` then
//! `int end`. `new(it, start, end)` sets `cur = start - 1, end = end` (or both 0 and an error
//! when `start > end` or the range is longer than `BPF_MAX_LOOPS`); `next(it)` advances `cur`
//! and returns its address (so the element pointer points into the stack slot, which the program
//! may read), or NULL once `cur + 1 >= end`, zeroing both; `destroy(it)` zeroes both.
//!
//! The bits iterator's 16 bytes are the kernel's too: the copied word (or, in the kernel, a
//! pointer to an allocated copy), then `int nr_bits`, then `int bit`. `new(it, p, nr_words)`
//! fails with `-EINVAL` for a NULL `p` or no words, `-E2BIG` past 511 words, `-EFAULT` when
//! `p` cannot be read; one word is copied into the state, more than one into a read-only block
//! of the run (the kernel's allocated copy), whose address the state keeps instead. `next`
//! returns the address of `bit`, set to the next set bit, or NULL.
//!
//! The dynptr kfuncs (`bpf_dynptr_from_skb`/`_xdp`, slices, `_adjust`, ...) live in
//! [`crate::dynptr`] with the dynptr helpers; the cpumask kfuncs (`bpf_cpumask_create`,
//! `_release`, `_acquire` and the mask operations), whose masks are run-time objects with a
//! reference count, in [`crate::cpumask`]; the kfuncs that open and close critical sections
//! (RCU, preemption, IRQ flags, resilient spin locks) in [`crate::sections`].
//! `bpf_rdonly_cast` is the identity, as in the kernel (the verifier only retypes the
//! pointer). `bpf_cast_to_kern_ctx` is refused: the runtime's context is the UAPI struct,
//! not the kernel's, so reads through the cast would read the wrong bytes.

use crate::cpumask;
use crate::dynptr;
use crate::machine::Machine;
use crate::maps::errno;
use crate::mem::RegionKind;
use crate::sections;
use crate::FaultKind;
use bpfvet_analyzer::isa::InsnIdx;
use bpfvet_analyzer::program::{InsnReloc, RelocTarget};

/// The kernel's bound on an iterator's range (`BPF_MAX_LOOPS`).
const MAX_LOOPS: i64 = 8 * 1024 * 1024;

/// A kfunc the runtime implements.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kfunc {
    IterNumNew,
    IterNumNext,
    IterNumDestroy,
    IterBitsNew,
    IterBitsNext,
    IterBitsDestroy,
    DynptrFromSkb,
    DynptrFromXdp,
    DynptrSlice,
    DynptrSliceRdwr,
    DynptrAdjust,
    DynptrIsNull,
    DynptrIsRdonly,
    DynptrSize,
    DynptrClone,
    /// `bpf_rdonly_cast(obj, btf_id)`: the same pointer, which the verifier lets the program
    /// read (through fault-safe loads) as the named type.
    RdonlyCast,
    /// A cpumask kfunc ([`crate::cpumask`]).
    Cpumask(cpumask::Op),
    /// A critical-section kfunc ([`crate::sections`]).
    Section(sections::Op),
}

const ALL: [Kfunc; 16] = [
    Kfunc::IterNumNew,
    Kfunc::IterNumNext,
    Kfunc::IterNumDestroy,
    Kfunc::IterBitsNew,
    Kfunc::IterBitsNext,
    Kfunc::IterBitsDestroy,
    Kfunc::DynptrFromSkb,
    Kfunc::DynptrFromXdp,
    Kfunc::DynptrSlice,
    Kfunc::DynptrSliceRdwr,
    Kfunc::DynptrAdjust,
    Kfunc::DynptrIsNull,
    Kfunc::DynptrIsRdonly,
    Kfunc::DynptrSize,
    Kfunc::DynptrClone,
    Kfunc::RdonlyCast,
];

/// The kernel's bound on a bits iterator's words (`BITS_ITER_NR_WORDS_MAX`).
const BITS_MAX_WORDS: u64 = 511;

/// Helper ids from here up to `BASE + ALL.len()` stand for the kfuncs, in [`ALL`]'s order.
const BASE: i32 = i32::MIN;

impl Kfunc {
    /// The kfunc an extern symbol names, if the runtime implements it.
    pub fn by_name(name: &str) -> Option<Kfunc> {
        ALL.into_iter()
            .find(|k| k.name() == name)
            .or_else(|| {
                cpumask::OPS
                    .iter()
                    .find(|(_, n)| *n == name)
                    .map(|(op, _)| Kfunc::Cpumask(*op))
            })
            .or_else(|| {
                sections::OPS
                    .iter()
                    .find(|(_, n)| *n == name)
                    .map(|(op, _)| Kfunc::Section(*op))
            })
    }

    pub fn name(self) -> &'static str {
        match self {
            Kfunc::IterNumNew => "bpf_iter_num_new",
            Kfunc::IterNumNext => "bpf_iter_num_next",
            Kfunc::IterNumDestroy => "bpf_iter_num_destroy",
            Kfunc::IterBitsNew => "bpf_iter_bits_new",
            Kfunc::IterBitsNext => "bpf_iter_bits_next",
            Kfunc::IterBitsDestroy => "bpf_iter_bits_destroy",
            Kfunc::DynptrFromSkb => "bpf_dynptr_from_skb",
            Kfunc::DynptrFromXdp => "bpf_dynptr_from_xdp",
            Kfunc::DynptrSlice => "bpf_dynptr_slice",
            Kfunc::DynptrSliceRdwr => "bpf_dynptr_slice_rdwr",
            Kfunc::DynptrAdjust => "bpf_dynptr_adjust",
            Kfunc::DynptrIsNull => "bpf_dynptr_is_null",
            Kfunc::DynptrIsRdonly => "bpf_dynptr_is_rdonly",
            Kfunc::DynptrSize => "bpf_dynptr_size",
            Kfunc::DynptrClone => "bpf_dynptr_clone",
            Kfunc::RdonlyCast => "bpf_rdonly_cast",
            Kfunc::Cpumask(op) => op.name(),
            Kfunc::Section(op) => op.name(),
        }
    }
}

/// The reserved helper id under which both engines call `k`: [`ALL`]'s kfuncs, then the
/// cpumask kfuncs in [`cpumask::OPS`]'s order, then the section kfuncs in [`sections::OPS`]'s.
pub fn helper_id(k: Kfunc) -> i32 {
    let i = match k {
        Kfunc::Cpumask(op) => {
            ALL.len() + cpumask::OPS.iter().position(|(o, _)| *o == op).unwrap_or(0)
        }
        Kfunc::Section(op) => {
            ALL.len()
                + cpumask::OPS.len()
                + sections::OPS
                    .iter()
                    .position(|(o, _)| *o == op)
                    .unwrap_or(0)
        }
        _ => ALL.iter().position(|&x| x == k).unwrap_or(0),
    };
    BASE + i as i32
}

/// The kfunc a reserved helper id stands for.
pub fn from_helper_id(id: i32) -> Option<Kfunc> {
    let i = usize::try_from(i64::from(id) - i64::from(BASE)).ok()?;
    if let Some(&k) = ALL.get(i) {
        return Some(k);
    }
    let i = i - ALL.len();
    if let Some((op, _)) = cpumask::OPS.get(i) {
        return Some(Kfunc::Cpumask(*op));
    }
    sections::OPS
        .get(i - cpumask::OPS.len())
        .map(|(op, _)| Kfunc::Section(*op))
}

/// The extern names of a linked program's kfunc calls, by instruction, from its relocations.
pub fn names(relocs: &[InsnReloc]) -> Vec<(InsnIdx, String)> {
    relocs
        .iter()
        .filter_map(|r| match &r.target {
            RelocTarget::Extern { name } => Some((r.insn, name.clone())),
            _ => None,
        })
        .collect()
}

/// Runs `k` with `r1`..`r5`; `at` is the calling instruction (objects remember the call
/// that made them, to name it if they leak).
pub fn call(m: &mut Machine, k: Kfunc, a: [u64; 5], at: u32) -> Result<u64, FaultKind> {
    let it = a[0];
    match k {
        Kfunc::IterNumNew => {
            let (start, end) = (a[1] as u32 as i32, a[2] as u32 as i32);
            let (cur, end, ret) = if start > end {
                (0, 0, -errno::EINVAL)
            } else if i64::from(end) - i64::from(start) > MAX_LOOPS {
                (0, 0, -errno::E2BIG)
            } else {
                (start.wrapping_sub(1), end, 0)
            };
            store_state(m, it, cur, end)?;
            // The kfunc returns an int: the JIT and the kernel leave r0 sign-extended.
            Ok(ret as u64)
        }
        Kfunc::IterNumNext => {
            let cur = m.mem.load(it, 4)? as u32 as i32;
            let end = m.mem.load(it + 4, 4)? as u32 as i32;
            if i64::from(cur) + 1 >= i64::from(end) {
                store_state(m, it, 0, 0)?;
                Ok(0)
            } else {
                m.mem.store(it, 4, u64::from(cur.wrapping_add(1) as u32))?;
                Ok(it)
            }
        }
        Kfunc::IterNumDestroy => {
            store_state(m, it, 0, 0)?;
            Ok(0)
        }
        Kfunc::IterBitsNew => {
            let (src, nr_words) = (a[1], u64::from(a[2] as u32));
            // nr_bits = 0, bit = -1, no bits, whatever follows.
            m.mem.store(it, 8, 0)?;
            m.mem.store(it + 8, 4, 0)?;
            m.mem.store(it + 12, 4, u64::from(u32::MAX))?;
            if src == 0 || nr_words == 0 {
                return Ok(-errno::EINVAL as u64);
            }
            if nr_words > BITS_MAX_WORDS {
                return Ok(-errno::E2BIG as u64);
            }
            if nr_words > 1 {
                // The kernel copies the words into memory it allocates and keeps its address
                // in place of the word; an unreadable source is an error return.
                let len = (nr_words * 8) as usize;
                let Ok(bytes) = m.mem.read_bytes(src, len) else {
                    return Ok(-errno::EFAULT as u64);
                };
                let block = m.mem.alloc(len, true);
                m.mem.fill(block, 0, &bytes);
                let copy = m
                    .mem
                    .add_region(block, 0, len, RegionKind::KernelObject, false);
                m.mem.store(it, 8, copy)?;
                m.mem.store(it + 8, 4, nr_words * 64)?;
                return Ok(0);
            }
            // The kernel reads the word with a fault-safe copy: an unreadable address is an
            // error return, not a fault.
            let Ok(word) = m.mem.load(src, 8) else {
                return Ok(-errno::EFAULT as u64);
            };
            m.mem.store(it, 8, word)?;
            m.mem.store(it + 8, 4, 64)?;
            Ok(0)
        }
        Kfunc::IterBitsNext => {
            let nr_bits = m.mem.load(it + 8, 4)? as u32 as i32;
            let bit = m.mem.load(it + 12, 4)? as u32 as i32;
            if nr_bits == 0 || bit >= nr_bits {
                return Ok(0);
            }
            // One word lives in the state itself; more live in the copy it points to.
            let copy = (nr_bits != 64).then(|| m.mem.load(it, 8)).transpose()?;
            let from = bit.wrapping_add(1).max(0) as u32;
            let mut next = nr_bits;
            let mut b = from;
            while (b as i32) < nr_bits {
                let word = match copy {
                    None => m.mem.load(it, 8)?,
                    Some(base) => m.mem.probe_load(base + u64::from(b / 64) * 8, 8)?,
                };
                if let Some(hit) = (b % 64..64).find(|i| word >> i & 1 == 1) {
                    next = ((b / 64) * 64 + hit) as i32;
                    break;
                }
                b = (b / 64 + 1) * 64;
            }
            m.mem.store(it + 12, 4, u64::from(next as u32))?;
            Ok(if next >= nr_bits { 0 } else { it + 12 })
        }
        Kfunc::IterBitsDestroy => Ok(0),
        Kfunc::DynptrFromSkb => dynptr::from_packet(m, dynptr::Kind::Skb, a),
        Kfunc::DynptrFromXdp => dynptr::from_packet(m, dynptr::Kind::Xdp, a),
        Kfunc::DynptrSlice => dynptr::slice(m, a, false),
        Kfunc::DynptrSliceRdwr => dynptr::slice(m, a, true),
        Kfunc::DynptrAdjust => dynptr::adjust(m, a),
        Kfunc::DynptrIsNull => dynptr::is_null(m, a),
        Kfunc::DynptrIsRdonly => dynptr::is_rdonly(m, a),
        Kfunc::DynptrSize => dynptr::size(m, a),
        Kfunc::DynptrClone => dynptr::clone(m, a),
        Kfunc::RdonlyCast => Ok(a[0]),
        Kfunc::Cpumask(op) => cpumask::call(m, op, a, at),
        Kfunc::Section(op) => sections::call(m, op, a),
    }
}

fn store_state(m: &mut Machine, it: u64, cur: i32, end: i32) -> Result<(), FaultKind> {
    m.mem.store(it, 4, u64::from(cur as u32))?;
    m.mem.store(it + 4, 4, u64::from(end as u32))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reserved_ids_round_trip_and_stay_clear_of_helpers() {
        let cpumasks = cpumask::OPS.iter().map(|(op, _)| Kfunc::Cpumask(*op));
        let sections = sections::OPS.iter().map(|(op, _)| Kfunc::Section(*op));
        for k in ALL.into_iter().chain(cpumasks).chain(sections) {
            assert_eq!(from_helper_id(helper_id(k)), Some(k));
            assert!(helper_id(k) < 0);
            assert_eq!(Kfunc::by_name(k.name()), Some(k));
        }
        assert_eq!(from_helper_id(1), None);
        assert_eq!(from_helper_id(-1), None);
        let end = BASE + (ALL.len() + cpumask::OPS.len() + sections::OPS.len()) as i32;
        assert_eq!(from_helper_id(end), None);
        assert_eq!(
            from_helper_id(end - 1),
            Some(Kfunc::Section(sections::Op::ResSpinUnlockIrqrestore))
        );
        // bpf_cast_to_kern_ctx stays refused (the runtime's context is the UAPI struct).
        assert_eq!(Kfunc::by_name("bpf_cast_to_kern_ctx"), None);
        assert_eq!(Kfunc::by_name("bpf_iter_task_new"), None);
    }
}
