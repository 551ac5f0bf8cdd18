//! CPU masks as run-time objects: the `bpf_cpumask_*` kfuncs (kernel/bpf/cpumask.c), shared by
//! both engines through [`crate::kfuncs`].
//!
//! An object is the kernel's `struct bpf_cpumask`: a `cpumask_t` (the bitmap, `NR_CPUS` bits:
//! [`MASK_BYTES`]) then the `refcount_t usage`, in a read-only [`RegionKind::KernelObject`]
//! region so that a program's direct loads of `bits[i]` or `usage` read what the kernel's
//! would. Only the kfuncs here write it. A mask has `nr_cpu_ids` meaningful bits
//! ([`crate::Env::nr_cpus`]); like the kernel's bitmap code, `setall`, `or`, `xor`, `copy` and
//! `populate` work on whole 64-bit words (so bits past `nr_cpu_ids` in the last word may be
//! set, visible only to direct loads) while every query and `and`'s result look at the
//! `nr_cpu_ids` bits only.
//!
//! The runtime keeps a table of the objects a run made, by address: the reference count, and
//! the call that made the object. A kfunc given an address that is not in the table (a kernel
//! cpumask such as a task's `cpus_ptr`, which no offline run has) faults with
//! [`FaultKind::ForeignObject`]; one given a released object with
//! [`FaultKind::ReleasedObject`]; an object still referenced when the run ends is
//! [`FaultKind::LeakedObject`] at the call that made it. The verifier refuses programs that
//! could do any of these; the runtime faults instead of touching freed memory. Objects are
//! numbered in creation order within a run, so both engines name the same one. The blocks are
//! transient: they live until the run ends (as the kernel frees them after an RCU grace
//! period), and the table is emptied then.

use crate::machine::Machine;
use crate::mem::{BlockId, RegionKind};
use crate::FaultKind;
use std::collections::BTreeMap;

/// Bytes of `cpumask_t`: `NR_CPUS` bits. 32 is the live oracle kernel's (NR_CPUS = 256:
/// `struct cpumask` is 32 bytes and `struct bpf_cpumask` 40 in its BTF).
pub const MASK_BYTES: usize = 32;
/// The largest `nr_cpu_ids` a mask holds.
pub const MAX_CPUS: u32 = (MASK_BYTES * 8) as u32;
/// `sizeof(struct bpf_cpumask)`: the mask, the `u32` count, padding to 8 bytes.
const OBJECT_BYTES: usize = MASK_BYTES + 8;
/// What faults and messages call the object.
const OBJECT: &str = "bpf_cpumask";
/// `EACCES`.
const EACCES: i64 = 13;

/// One object a run made.
#[derive(Clone, Copy, Debug)]
struct Object {
    block: BlockId,
    refs: u32,
    /// Creation order within the run, from 0.
    number: u32,
    /// The `bpf_cpumask_create` call that made it.
    created_at: u32,
}

/// The cpumask objects of the current run, by address.
#[derive(Debug, Default)]
pub struct Cpumasks {
    objects: BTreeMap<u64, Object>,
    /// `distribute_cpu_mask_prev`: the per-CPU cursor behind `any_distribute` and
    /// `any_and_distribute` (the kernel's starts at 0 and outlives runs; so does this one).
    distribute_prev: u32,
}

impl Cpumasks {
    /// Ends a run: the first object still referenced (its creating call, and a fault naming
    /// it), if any. The table is emptied; the blocks go with the run's transient memory.
    pub(crate) fn end_run(&mut self) -> Option<(u32, FaultKind)> {
        let leak = self
            .objects
            .values()
            .filter(|o| o.refs > 0)
            .min_by_key(|o| o.number)
            .map(|o| {
                (
                    o.created_at,
                    FaultKind::LeakedObject {
                        object: OBJECT,
                        number: o.number,
                    },
                )
            });
        self.objects.clear();
        leak
    }
}

/// The kfunc being run, for fault messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Create,
    Release,
    Acquire,
    First,
    FirstZero,
    FirstAnd,
    SetCpu,
    ClearCpu,
    TestCpu,
    TestAndSetCpu,
    TestAndClearCpu,
    SetAll,
    Clear,
    And,
    Or,
    Xor,
    Equal,
    Intersects,
    Subset,
    Empty,
    Full,
    Copy,
    AnyDistribute,
    AnyAndDistribute,
    Weight,
    Populate,
}

/// The cpumask kfuncs, in the kernel's `cpumask_kfunc_btf_ids` order, with their names.
pub const OPS: [(Op, &str); 26] = [
    (Op::Create, "bpf_cpumask_create"),
    (Op::Release, "bpf_cpumask_release"),
    (Op::Acquire, "bpf_cpumask_acquire"),
    (Op::First, "bpf_cpumask_first"),
    (Op::FirstZero, "bpf_cpumask_first_zero"),
    (Op::FirstAnd, "bpf_cpumask_first_and"),
    (Op::SetCpu, "bpf_cpumask_set_cpu"),
    (Op::ClearCpu, "bpf_cpumask_clear_cpu"),
    (Op::TestCpu, "bpf_cpumask_test_cpu"),
    (Op::TestAndSetCpu, "bpf_cpumask_test_and_set_cpu"),
    (Op::TestAndClearCpu, "bpf_cpumask_test_and_clear_cpu"),
    (Op::SetAll, "bpf_cpumask_setall"),
    (Op::Clear, "bpf_cpumask_clear"),
    (Op::And, "bpf_cpumask_and"),
    (Op::Or, "bpf_cpumask_or"),
    (Op::Xor, "bpf_cpumask_xor"),
    (Op::Equal, "bpf_cpumask_equal"),
    (Op::Intersects, "bpf_cpumask_intersects"),
    (Op::Subset, "bpf_cpumask_subset"),
    (Op::Empty, "bpf_cpumask_empty"),
    (Op::Full, "bpf_cpumask_full"),
    (Op::Copy, "bpf_cpumask_copy"),
    (Op::AnyDistribute, "bpf_cpumask_any_distribute"),
    (Op::AnyAndDistribute, "bpf_cpumask_any_and_distribute"),
    (Op::Weight, "bpf_cpumask_weight"),
    (Op::Populate, "bpf_cpumask_populate"),
];

impl Op {
    pub fn name(self) -> &'static str {
        OPS.iter()
            .find(|(o, _)| *o == self)
            .map_or("bpf_cpumask_?", |(_, n)| n)
    }
}

/// A mask's meaningful bits and the words that hold them.
#[derive(Clone, Copy)]
struct Width {
    bits: u32,
    words: usize,
}

impl Width {
    fn of(m: &Machine) -> Width {
        let bits = m.env.nr_cpus.clamp(1, MAX_CPUS);
        Width {
            bits,
            words: bits.div_ceil(64) as usize,
        }
    }

    /// The meaningful bits of word `k`.
    fn mask(self, k: usize) -> u64 {
        let from = k as u32 * 64;
        match self.bits.saturating_sub(from) {
            n if n >= 64 => u64::MAX,
            n => (1u64 << n) - 1,
        }
    }
}

/// Runs cpumask kfunc `op` with `r1`..`r5`; `at` is the calling instruction.
pub fn call(m: &mut Machine, op: Op, a: [u64; 5], at: u32) -> Result<u64, FaultKind> {
    let w = Width::of(m);
    let bool_ret = |b: bool| Ok(u64::from(b));
    match op {
        Op::Create => Ok(create(m, at)),
        Op::Acquire => {
            let o = live(m, op, a[0])?;
            set_refs(m, a[0], o.refs + 1);
            Ok(a[0])
        }
        Op::Release => {
            let o = live(m, op, a[0])?;
            set_refs(m, a[0], o.refs - 1);
            Ok(0)
        }
        Op::First => {
            let s = words(m, op, a[0], w)?;
            Ok(u64::from(first(w, |k| s[k])))
        }
        Op::FirstZero => {
            let s = words(m, op, a[0], w)?;
            Ok(u64::from(first(w, |k| !s[k])))
        }
        Op::FirstAnd => {
            let (s1, s2) = (words(m, op, a[0], w)?, words(m, op, a[1], w)?);
            Ok(u64::from(first(w, |k| s1[k] & s2[k])))
        }
        Op::SetCpu | Op::ClearCpu | Op::TestAndSetCpu | Op::TestAndClearCpu | Op::TestCpu => {
            let (cpu, dst) = (a[0] as u32, a[1]);
            let mut s = words(m, op, dst, w)?;
            // An invalid CPU changes nothing and tests false.
            if cpu >= w.bits {
                return Ok(0);
            }
            let (k, bit) = (cpu as usize / 64, 1u64 << (cpu % 64));
            let was = s[k] & bit != 0;
            match op {
                Op::SetCpu | Op::TestAndSetCpu => s[k] |= bit,
                Op::ClearCpu | Op::TestAndClearCpu => s[k] &= !bit,
                _ => return bool_ret(was),
            }
            store(m, dst, &s);
            Ok(match op {
                Op::TestAndSetCpu | Op::TestAndClearCpu => u64::from(was),
                _ => 0,
            })
        }
        Op::SetAll | Op::Clear => {
            words(m, op, a[0], w)?;
            let fill = if op == Op::SetAll { u64::MAX } else { 0 };
            store(m, a[0], &vec![fill; w.words]);
            Ok(0)
        }
        Op::And | Op::Or | Op::Xor => {
            words(m, op, a[0], w)?;
            let (s1, s2) = (words(m, op, a[1], w)?, words(m, op, a[2], w)?);
            let d: Vec<u64> = (0..w.words)
                .map(|k| match op {
                    // `and` masks its last word; `or` and `xor` keep whole words.
                    Op::And => s1[k] & s2[k] & w.mask(k),
                    Op::Or => s1[k] | s2[k],
                    _ => s1[k] ^ s2[k],
                })
                .collect();
            store(m, a[0], &d);
            Ok(if op == Op::And {
                u64::from(d.iter().any(|&x| x != 0))
            } else {
                0
            })
        }
        Op::Equal | Op::Intersects | Op::Subset => {
            let (s1, s2) = (words(m, op, a[0], w)?, words(m, op, a[1], w)?);
            let each = |f: fn(u64, u64) -> bool| {
                (0..w.words).all(|k| f(s1[k] & w.mask(k), s2[k] & w.mask(k)))
            };
            bool_ret(match op {
                Op::Equal => each(|x, y| x == y),
                Op::Subset => each(|x, y| x & !y == 0),
                _ => !each(|x, y| x & y == 0),
            })
        }
        Op::Empty | Op::Full | Op::Weight => {
            let s = words(m, op, a[0], w)?;
            let set: u32 = (0..w.words).map(|k| (s[k] & w.mask(k)).count_ones()).sum();
            Ok(match op {
                Op::Empty => u64::from(set == 0),
                Op::Full => u64::from(set == w.bits),
                _ => u64::from(set),
            })
        }
        Op::Copy => {
            words(m, op, a[0], w)?;
            let s = words(m, op, a[1], w)?;
            store(m, a[0], &s);
            Ok(0)
        }
        Op::AnyDistribute | Op::AnyAndDistribute => {
            let s1 = words(m, op, a[0], w)?;
            let s2 = match op {
                Op::AnyAndDistribute => words(m, op, a[1], w)?,
                _ => vec![u64::MAX; w.words],
            };
            let set = |cpu: u32| {
                let k = cpu as usize / 64;
                ((s1[k] & s2[k]) >> (cpu % 64)) & 1 == 1
            };
            // The next set bit after the cursor, wrapping round once; `nr_cpu_ids` if none.
            let from = m.cpumasks.distribute_prev.wrapping_add(1);
            let next = (from..w.bits)
                .chain(0..from.min(w.bits))
                .find(|&c| set(c))
                .unwrap_or(w.bits);
            if next < w.bits {
                m.cpumasks.distribute_prev = next;
            }
            Ok(u64::from(next))
        }
        Op::Populate => {
            words(m, op, a[0], w)?;
            let (src, size) = (a[1], a[2]);
            if size < (w.words * 8) as u64 {
                return Ok(-EACCES as u64);
            }
            let bytes = m.mem.read_bytes(src, w.words * 8)?;
            let s: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            store(m, a[0], &s);
            Ok(0)
        }
    }
}

/// The first meaningful bit set in `word(k)`, or `nr_cpu_ids`.
fn first(w: Width, word: impl Fn(usize) -> u64) -> u32 {
    (0..w.words)
        .find_map(|k| {
            let x = word(k) & w.mask(k);
            (x != 0).then(|| k as u32 * 64 + x.trailing_zeros())
        })
        .unwrap_or(w.bits)
}

fn create(m: &mut Machine, at: u32) -> u64 {
    let block = m.mem.alloc(OBJECT_BYTES, true);
    let addr = m
        .mem
        .add_region(block, 0, OBJECT_BYTES, RegionKind::KernelObject, false);
    let number = m.cpumasks.objects.len() as u32;
    m.cpumasks.objects.insert(
        addr,
        Object {
            block,
            refs: 0,
            number,
            created_at: at,
        },
    );
    set_refs(m, addr, 1);
    addr
}

/// Sets an object's count, in the table and in its `usage` field.
fn set_refs(m: &mut Machine, addr: u64, refs: u32) {
    if let Some(o) = m.cpumasks.objects.get_mut(&addr) {
        o.refs = refs;
        let block = o.block;
        m.mem.fill(block, MASK_BYTES, &refs.to_le_bytes());
    }
}

/// The object at `addr`, still referenced.
fn live(m: &Machine, op: Op, addr: u64) -> Result<Object, FaultKind> {
    match m.cpumasks.objects.get(&addr) {
        Some(o) if o.refs > 0 => Ok(*o),
        Some(o) => Err(FaultKind::ReleasedObject {
            kfunc: op.name(),
            object: OBJECT,
            number: o.number,
        }),
        None => Err(FaultKind::ForeignObject {
            kfunc: op.name(),
            object: OBJECT,
        }),
    }
}

/// The words of the live mask at `addr`.
fn words(m: &Machine, op: Op, addr: u64, w: Width) -> Result<Vec<u64>, FaultKind> {
    let o = live(m, op, addr)?;
    Ok(m.mem
        .block_bytes(o.block, 0, w.words * 8)
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8])))
        .collect())
}

/// Writes a mask's words (the caller checked that it is live).
fn store(m: &mut Machine, addr: u64, s: &[u64]) {
    if let Some(o) = m.cpumasks.objects.get(&addr) {
        let bytes: Vec<u8> = s.iter().flat_map(|x| x.to_le_bytes()).collect();
        m.mem.fill(o.block, 0, &bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(m: &mut Machine, op: Op, a: &[u64]) -> u64 {
        let mut args = [0; 5];
        args[..a.len()].copy_from_slice(a);
        call(m, op, args, 0).expect("runs")
    }

    #[test]
    fn width_masks_the_last_word() {
        let w = Width { bits: 70, words: 2 };
        assert_eq!(w.mask(0), u64::MAX);
        assert_eq!(w.mask(1), 0x3f);
        let w = Width { bits: 64, words: 1 };
        assert_eq!(w.mask(0), u64::MAX);
    }

    #[test]
    fn bits_past_nr_cpu_ids_are_kept_by_whole_word_ops_and_ignored_by_queries() {
        let mut m = Machine::new();
        m.env.nr_cpus = 2;
        let a = run(&mut m, Op::Create, &[]);
        run(&mut m, Op::SetAll, &[a]);
        // setall fills the whole word; the queries see two CPUs.
        assert_eq!(m.mem.load(a, 8), Ok(u64::MAX));
        assert_eq!(run(&mut m, Op::Weight, &[a]), 2);
        assert_eq!(run(&mut m, Op::Full, &[a]), 1);
        assert_eq!(run(&mut m, Op::FirstZero, &[a]), 2);
        assert_eq!(run(&mut m, Op::TestCpu, &[5, a]), 0);
        // and masks its last word.
        let b = run(&mut m, Op::Create, &[]);
        run(&mut m, Op::And, &[b, a, a]);
        assert_eq!(m.mem.load(b, 8), Ok(3));
        assert_eq!(run(&mut m, Op::Equal, &[a, b]), 1);
        run(&mut m, Op::Release, &[a]);
        run(&mut m, Op::Release, &[b]);
        assert!(m.cpumasks.end_run().is_none());
    }

    #[test]
    fn released_foreign_and_leaked_objects_fault_by_name() {
        let mut m = Machine::new();
        let a = run(&mut m, Op::Create, &[]);
        let b = call(&mut m, Op::Create, [0; 5], 7).expect("creates");
        assert_eq!(m.mem.load(a + MASK_BYTES as u64, 4), Ok(1));
        run(&mut m, Op::Acquire, &[a]);
        assert_eq!(m.mem.load(a + MASK_BYTES as u64, 4), Ok(2));
        run(&mut m, Op::Release, &[a]);
        run(&mut m, Op::Release, &[a]);
        assert_eq!(
            call(&mut m, Op::SetCpu, [0, a, 0, 0, 0], 3),
            Err(FaultKind::ReleasedObject {
                kfunc: "bpf_cpumask_set_cpu",
                object: OBJECT,
                number: 0
            })
        );
        assert_eq!(
            call(&mut m, Op::Empty, [a + 8, 0, 0, 0, 0], 3),
            Err(FaultKind::ForeignObject {
                kfunc: "bpf_cpumask_empty",
                object: OBJECT
            })
        );
        assert_eq!(
            m.cpumasks.end_run(),
            Some((
                7,
                FaultKind::LeakedObject {
                    object: OBJECT,
                    number: 1
                }
            ))
        );
        let _ = b;
    }

    #[test]
    fn distribute_walks_the_set_cpus_from_the_cursor() {
        let mut m = Machine::new();
        m.env.nr_cpus = 8;
        let a = run(&mut m, Op::Create, &[]);
        assert_eq!(run(&mut m, Op::AnyDistribute, &[a]), 8, "none set");
        for cpu in [0, 3, 6] {
            run(&mut m, Op::SetCpu, &[cpu, a]);
        }
        // The cursor starts at 0, so the first pick skips CPU 0, then wraps.
        let picks: Vec<u64> = (0..4)
            .map(|_| run(&mut m, Op::AnyDistribute, &[a]))
            .collect();
        assert_eq!(picks, [3, 6, 0, 3]);
        let b = run(&mut m, Op::Create, &[]);
        run(&mut m, Op::SetCpu, &[0, b]);
        assert_eq!(run(&mut m, Op::AnyAndDistribute, &[a, b]), 0);
        assert_eq!(run(&mut m, Op::FirstAnd, &[a, b]), 0);
        run(&mut m, Op::Release, &[a]);
        run(&mut m, Op::Release, &[b]);
    }
}
