//! Precision report: bpfvet's scalar domain against the kernel model and the best abstraction.
//!
//! For each operator at 8-bit words (4-bit sub-register), over a fixed sample of input pairs, prints
//! the mean size of the concretization of bpfvet's result, of the kernel model's result, of the best
//! result the domain can express (the join of the exact results), and of the exact result set.
//! Also counts the cases where bpfvet is strictly more precise and where it is less precise.
//!
//! Run: `cargo run --release -p bpfvet-lattice --example precision [pairs]`.

#[path = "../tests/kernel_model/harness.rs"]
mod harness;
#[path = "../tests/kernel_model/model.rs"]
mod model;
#[path = "../tests/kernel_model/ops.rs"]
mod ops;

use bpfvet_lattice::{AluOp, Cond, Width};
use harness::Stats;

fn row(name: &str, st: &Stats) {
    println!(
        "| {name:<10} | {:>6} | {:>8.2} | {:>8.2} | {:>8.2} | {:>8.2} | {:>8} | {:>5} |",
        st.cases,
        st.mean(st.sum_ours),
        st.mean(st.sum_kernel),
        st.mean(st.sum_best),
        st.mean(st.sum_exact),
        st.strictly_better,
        st.worse.len(),
    );
}

fn main() {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(2000);
    let fam = harness::family::<u8>(1);
    println!(
        "8-bit words, 4-bit sub-register; {} family values; {n} input pairs per operator.",
        fam.len()
    );
    println!();
    println!(
        "| operator   |  cases |  bpfvet  |  kernel  |   best   |  exact   | better   | worse |"
    );
    println!(
        "|------------|-------:|---------:|---------:|---------:|---------:|---------:|------:|"
    );
    for op in AluOp::ALL {
        for width in [Width::W64, Width::W32] {
            let mut st = Stats::default();
            for (a, b) in harness::pairs(&fam, n, op as u64 + 1) {
                harness::alu(&mut st, op, width, a, b);
            }
            let w = if width == Width::W64 { "" } else { "32" };
            row(&format!("{op:?}{w}").to_lowercase(), &st);
        }
    }
    for which in ["neg64", "neg32", "sext1", "sext2", "sext3", "sext4"] {
        let mut st = Stats::default();
        for &a in &fam {
            harness::unary(&mut st, which, a);
        }
        row(which, &st);
    }
    for cond in Cond::ALL {
        for width in [Width::W64, Width::W32] {
            let mut st = Stats::default();
            for (a, b) in harness::pairs(&fam, n / 2, cond as u64 + 100) {
                for taken in [true, false] {
                    harness::refine(&mut st, cond, width, a, b, taken);
                }
            }
            let w = if width == Width::W64 { "" } else { "32" };
            row(&format!("j{cond:?}{w}").to_lowercase(), &st);
        }
    }
    println!();
    println!("bpfvet/kernel/best/exact: mean number of concrete values in the result (refinements: per operand).");
    println!("better: cases where bpfvet's result is a strict subset of the kernel model's; worse: cases where it is not a subset.");
}
