//! bpfvet's scalar domain against an independent model of the Linux verifier.
//!
//! For every case of the sweep, bpfvet's result must be sound (checked in the crate's own tests)
//! and its concretization contained in the kernel model's; the cases where it is strictly smaller
//! are counted and printed (`cargo test -p bpfvet-lattice --test kernel_model -- --nocapture`).
//! Default runs are exhaustive at 4-bit words (2-bit sub-register) over every pair of a family
//! holding every tnum and every interval view (255 values); `SLOW_TESTS=1` sweeps every pair of the
//! larger family that adds the best abstraction of every subset of words, and samples 8-bit words.
//! Byte swaps, meaningless at 4 bits, are compared at 64 bits on windowed tnums and boundary
//! intervals (`kernel_model/wide.rs`).
//!
//! Deliberate divergences from the kernel, each named here:
//! * `maybe_fork_scalars`: for `and`/`or` with a constant on a register in `[-1, 0]` the kernel
//!   splits the path in two; that is path exploration, the engine's business, not a domain
//!   operation, so the model (like the lattice) does not split. See `divergence_fork_scalars`.

#[path = "kernel_model/harness.rs"]
mod harness;
#[path = "kernel_model/model.rs"]
mod model;
#[path = "kernel_model/ops.rs"]
mod ops;
#[path = "byte_swaps/inputs.rs"]
mod swap_inputs;
#[path = "kernel_model/wide.rs"]
mod wide;

use bpfvet_lattice::{AluOp, Cond, ScalarOf, Width, U4};
use harness::Stats;

fn slow() -> bool {
    std::env::var("SLOW_TESTS").is_ok_and(|v| v == "1")
}

fn report(name: &str, st: &Stats) {
    println!(
        "{name:<14} cases={:<7} strictly_better={:<7} mean|γ| ours={:.2} kernel={:.2} best={:.2}",
        st.cases,
        st.strictly_better,
        st.mean(st.sum_ours),
        st.mean(st.sum_kernel),
        st.mean(st.sum_best)
    );
    assert!(
        st.model_unsound.is_empty(),
        "{name}: kernel model unsound: {:#?}",
        st.model_unsound
    );
    assert!(
        st.worse.is_empty(),
        "{name}: bpfvet less precise than the kernel model: {:#?}",
        st.worse
    );
}

/// Every pair of `fam`, every operator at both widths; returns the number of cases.
fn run_alu<W: bpfvet_lattice::WideWord>(fam: &[ScalarOf<W>]) -> u64 {
    let mut total = 0;
    for op in AluOp::ALL {
        for width in [Width::W64, Width::W32] {
            let mut st = Stats::default();
            for &a in fam {
                for &b in fam {
                    harness::alu(&mut st, op, width, a, b);
                }
            }
            report(&format!("{op:?}/{width:?}"), &st);
            assert_eq!(st.cases, (fam.len() * fam.len()) as u64);
            total += st.cases;
        }
    }
    total
}

/// Every pair of `fam`, every condition at both widths, both edges, both operands.
fn run_refine<W: bpfvet_lattice::WideWord>(fam: &[ScalarOf<W>]) -> u64 {
    let mut total = 0;
    for cond in Cond::ALL {
        for width in [Width::W64, Width::W32] {
            let mut st = Stats::default();
            for &a in fam {
                for &b in fam {
                    for taken in [true, false] {
                        harness::refine(&mut st, cond, width, a, b, taken);
                    }
                }
            }
            report(&format!("{cond:?}/{width:?}"), &st);
            assert_eq!(st.cases, 4 * (fam.len() * fam.len()) as u64);
            total += st.cases;
        }
    }
    total
}

/// Sampled pairs (the 8-bit family under `SLOW_TESTS=1`, where every pair is too many).
fn sample<W: bpfvet_lattice::WideWord>(n: usize) {
    let fam = harness::family::<W>(1);
    for op in AluOp::ALL {
        for width in [Width::W64, Width::W32] {
            let mut st = Stats::default();
            for (a, b) in harness::pairs(&fam, n, op as u64 + 1) {
                harness::alu(&mut st, op, width, a, b);
            }
            report(&format!("u8 {op:?}/{width:?}"), &st);
            assert!(st.cases > 0);
        }
    }
    for cond in Cond::ALL {
        for width in [Width::W64, Width::W32] {
            let mut st = Stats::default();
            for (a, b) in harness::pairs(&fam, n / 2, cond as u64 + 100) {
                for taken in [true, false] {
                    harness::refine(&mut st, cond, width, a, b, taken);
                }
            }
            report(&format!("u8 {cond:?}/{width:?}"), &st);
            assert!(st.cases > 0);
        }
    }
}

/// Exhaustive at 4 bits over every pair of the sweep family (every tnum and interval view; with
/// `SLOW_TESTS=1` also the best abstraction of every subset of words).
#[test]
fn alu_at_least_as_precise_as_kernel() {
    let fam = harness::sweep_family::<U4>(slow());
    let cases = run_alu(&fam);
    println!("alu: family {}, {cases} cases", fam.len());
}

#[test]
fn refine_at_least_as_precise_as_kernel() {
    let fam = harness::sweep_family::<U4>(slow());
    let cases = run_refine(&fam);
    println!("refine: family {}, {cases} cases", fam.len());
}

#[test]
fn sampled_8bit_at_least_as_precise_as_kernel() {
    if slow() {
        sample::<u8>(5_000);
    }
}

#[test]
fn unary_at_least_as_precise_as_kernel() {
    // Unary operators are cheap: the full 4-bit family in every run. Sign extension only from at
    // most the sub-register width, as the kernel's `movsx` (8, 16, 32 of 64 bits).
    let fam = harness::sweep_family::<U4>(true);
    for which in ["neg64", "neg32", "sext1", "sext2"] {
        let mut st = Stats::default();
        for &a in &fam {
            harness::unary(&mut st, which, a);
        }
        report(which, &st);
        assert_eq!(st.cases, fam.len() as u64);
    }
    if slow() {
        let fam = harness::family::<u8>(4);
        for which in ["neg64", "neg32", "sext1", "sext2", "sext3", "sext4"] {
            let mut st = Stats::default();
            for &a in &fam {
                harness::unary(&mut st, which, a);
            }
            report(which, &st);
        }
    }
}

/// Byte swaps at 64 bits: every windowed tnum (5-bit window, 7 with `SLOW_TESTS=1`, at every
/// bit position) and every boundary interval, each operation; bpfvet's result must be inside the
/// kernel model's, which must itself hold every concrete result.
#[test]
fn byte_swaps_at_least_as_precise_as_kernel() {
    let w = if slow() { 7 } else { 5 };
    let ins: Vec<_> = swap_inputs::windowed_tnums(w)
        .into_iter()
        .chain(swap_inputs::boundary_intervals())
        .collect();
    for (name, bits) in swap_inputs::OPS {
        let mut st = wide::WideStats::default();
        for inp in &ins {
            wide::byte_swap(&mut st, name, bits, inp);
        }
        println!(
            "{name}{bits:<9} cases={:<7} counted={:<7} strictly_better={}",
            st.cases, st.counted, st.strictly_better
        );
        assert!(
            st.model_unsound.is_empty(),
            "{name}{bits}: {:#?}",
            st.model_unsound
        );
        assert!(
            st.worse.is_empty(),
            "{name}{bits}: less precise: {:#?}",
            st.worse
        );
        assert_eq!(st.cases, ins.len() as u64);
    }
}

/// The kernel forks `[-1, 0] & c` into two paths; one abstract value cannot hold `{0, c}` exactly
/// unless `c` has a single bit, so here the lattice is less precise than the kernel's two states
/// taken together. The analyzer's engine can split paths the same way.
#[test]
fn divergence_fork_scalars() {
    type S = ScalarOf<u64>;
    let m = S::from_srange(u64::MAX, 0).unwrap();
    let r = m.and(S::constant(0b101));
    assert!(r.contains(0) && r.contains(0b101));
    assert!(
        r.contains(0b100),
        "the tnum of {{0, 5}} also holds 1 and 4: {r}"
    );
}

/// The model agrees with a few facts from the kernel sources' comments.
#[test]
fn model_sanity() {
    use model::{Bits, KReg};
    let b = Bits::new(64);
    // [2, 5] % 10 keeps [2, 5].
    let mut r = KReg::unknown(b);
    (r.umin, r.umax) = (2, 5);
    r.sync();
    let k = r.alu(ops::KOp::Mod, false, KReg::known(b, 10));
    assert_eq!((k.umin, k.umax), (2, 5));
    // A shift by a non-constant amount is unknown.
    let mut amt = KReg::unknown(b);
    (amt.umin, amt.umax) = (0, 3);
    amt.sync();
    let k = KReg::known(b, 1).alu(ops::KOp::Lsh, false, amt);
    assert_eq!((k.umin, k.umax), (0, u128::from(u64::MAX)));
    // is_branch_taken with non-overlapping tnums.
    let x = KReg::known(b, 4);
    let y = KReg::known(b, 5);
    assert_eq!(x.branch_taken(&y, ops::KJmp::Eq, false), Some(false));
}
