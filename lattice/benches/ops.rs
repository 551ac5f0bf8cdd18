//! Hot lattice operations in ns per call: add, and, alu32 add, branch refinement, reduction, join.
//!
//! Run: `cargo bench -p bpfvet-lattice --bench ops`. None of these paths allocates.

use std::hint::black_box;

use bpfvet_lattice::{AluOp, Cond, SRange, Scalar, Tnum, URange, Width};
use criterion::{criterion_group, criterion_main, Criterion};

fn inputs() -> [(Scalar, Scalar); 4] {
    let r = |lo, hi| Scalar::from_urange(lo, hi).expect("ordered");
    [
        (r(0, 255), Scalar::constant(8)),
        (r(0x1000, 0x1fff), r(0, 64)),
        (
            Scalar::from_tnum(Tnum::unwrap_new(0x10, 0xff00)),
            r(1, u64::from(u32::MAX)),
        ),
        (
            Scalar::from_srange(-5i64 as u64, 100).expect("ordered"),
            Scalar::top(),
        ),
    ]
}

fn bench(c: &mut Criterion) {
    let ins = inputs();
    c.bench_function("scalar_add64", |b| {
        b.iter(|| {
            for &(x, y) in &ins {
                black_box(black_box(x).add(black_box(y)));
            }
        })
    });
    c.bench_function("scalar_and64", |b| {
        b.iter(|| {
            for &(x, y) in &ins {
                black_box(black_box(x).and(black_box(y)));
            }
        })
    });
    c.bench_function("scalar_add32", |b| {
        b.iter(|| {
            for &(x, y) in &ins {
                black_box(Scalar::alu(
                    AluOp::Add,
                    Width::W32,
                    black_box(x),
                    black_box(y),
                ));
            }
        })
    });
    c.bench_function("refine_gt64", |b| {
        b.iter(|| {
            for &(x, y) in &ins {
                black_box(Scalar::refine(
                    Cond::Gt,
                    Width::W64,
                    black_box(x),
                    black_box(y),
                    true,
                ));
            }
        })
    });
    c.bench_function("refine_eq32", |b| {
        b.iter(|| {
            for &(x, y) in &ins {
                black_box(Scalar::refine(
                    Cond::Eq,
                    Width::W32,
                    black_box(x),
                    black_box(y),
                    false,
                ));
            }
        })
    });
    c.bench_function("reduce", |b| {
        let t = Tnum::unwrap_new(0x100, 0xfff0_00ff);
        let u = URange::new(0x10, 0x1_0000_0fff).expect("ordered");
        let s = SRange::new(0, i64::MAX as u64).expect("ordered");
        let u32 = URange::new(3, 0x7000_0000).expect("ordered");
        let s32 = SRange::new(-7i32 as u32, 0x6fff_ffff).expect("ordered");
        b.iter(|| {
            for _ in 0..4 {
                black_box(Scalar::from_parts(
                    black_box(t),
                    black_box(u),
                    black_box(s),
                    black_box(u32),
                    black_box(s32),
                ));
            }
        })
    });
    c.bench_function("join", |b| {
        b.iter(|| {
            for &(x, y) in &ins {
                black_box(black_box(x).join(black_box(y)));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
