//! bpfvet's scalar domain against an independent model of the Linux verifier.
//!
//! For every case of the sweep, bpfvet's result must be sound (checked in the crate's own tests)
//! and its concretization contained in the kernel model's; the cases where it is strictly smaller
//! are counted and printed (`cargo test -p bpfvet-lattice --test kernel_model -- --nocapture`).
//! Default runs use 4-bit words (2-bit sub-register) and a sample of pairs; `SLOW_TESTS=1` adds
//! 8-bit words (4-bit sub-register) and more pairs.
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

fn run_alu<W: bpfvet_lattice::WideWord>(n: usize) {
    let fam = harness::family::<W>(1);
    for op in AluOp::ALL {
        for width in [Width::W64, Width::W32] {
            let mut st = Stats::default();
            for (a, b) in harness::pairs(&fam, n, op as u64 + 1) {
                harness::alu(&mut st, op, width, a, b);
            }
            report(&format!("{op:?}/{width:?}"), &st);
            assert!(st.cases > 0);
        }
    }
}

fn run_refine<W: bpfvet_lattice::WideWord>(n: usize) {
    let fam = harness::family::<W>(2);
    for cond in Cond::ALL {
        for width in [Width::W64, Width::W32] {
            let mut st = Stats::default();
            for (a, b) in harness::pairs(&fam, n, cond as u64 + 100) {
                for taken in [true, false] {
                    harness::refine(&mut st, cond, width, a, b, taken);
                }
            }
            report(&format!("{cond:?}/{width:?}"), &st);
        }
    }
}

#[test]
fn alu_at_least_as_precise_as_kernel() {
    run_alu::<U4>(if slow() { 50_000 } else { 1_200 });
    if slow() {
        run_alu::<u8>(5_000);
    }
}

#[test]
fn refine_at_least_as_precise_as_kernel() {
    run_refine::<U4>(if slow() { 25_000 } else { 600 });
    if slow() {
        run_refine::<u8>(3_000);
    }
}

#[test]
fn unary_at_least_as_precise_as_kernel() {
    let fam = harness::family::<U4>(3);
    for which in ["neg64", "neg32", "sext1", "sext2"] {
        let mut st = Stats::default();
        for &a in &fam {
            harness::unary(&mut st, which, a);
        }
        report(which, &st);
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
