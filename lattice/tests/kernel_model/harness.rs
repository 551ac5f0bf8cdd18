//! Runs bpfvet's operators and the kernel model on the same inputs and compares concretizations.
#![allow(
    dead_code,
    reason = "shared between the tests and the precision example"
)]

use std::collections::HashSet;

use bpfvet_lattice::{AluOp, Cond, ScalarOf, WideWord, Width, Word};

use super::model::{Bits, KReg, KTnum};
use super::ops::{refine as krefine, KJmp, KOp};

/// Converts a bpfvet scalar into a kernel register state with the same views.
pub fn to_kreg<W: WideWord>(a: &ScalarOf<W>) -> KReg {
    let b = Bits::new(W::BITS);
    let t = a.var_off();
    KReg {
        b,
        var_off: KTnum {
            v: t.value().to_u128(),
            m: t.mask().to_u128(),
        },
        umin: a.umin().to_u128(),
        umax: a.umax().to_u128(),
        smin: a.srange().lo().to_i128(),
        smax: a.srange().hi().to_i128(),
        u32_min: a.u32_min().to_u128(),
        u32_max: a.u32_max().to_u128(),
        s32_min: a.srange32().lo().to_i128(),
        s32_max: a.srange32().hi().to_i128(),
    }
}

pub fn kop(op: AluOp) -> KOp {
    match op {
        AluOp::Add => KOp::Add,
        AluOp::Sub => KOp::Sub,
        AluOp::Mul => KOp::Mul,
        AluOp::Div => KOp::Div,
        AluOp::SDiv => KOp::SDiv,
        AluOp::Mod => KOp::Mod,
        AluOp::SMod => KOp::SMod,
        AluOp::And => KOp::And,
        AluOp::Or => KOp::Or,
        AluOp::Xor => KOp::Xor,
        AluOp::Lsh => KOp::Lsh,
        AluOp::Rsh => KOp::Rsh,
        AluOp::Arsh => KOp::Arsh,
    }
}

pub fn kjmp(c: Cond) -> KJmp {
    match c {
        Cond::Eq => KJmp::Eq,
        Cond::Ne => KJmp::Ne,
        Cond::Gt => KJmp::Gt,
        Cond::Ge => KJmp::Ge,
        Cond::Lt => KJmp::Lt,
        Cond::Le => KJmp::Le,
        Cond::SGt => KJmp::SGt,
        Cond::SGe => KJmp::SGe,
        Cond::SLt => KJmp::SLt,
        Cond::SLe => KJmp::SLe,
        Cond::Set => KJmp::Set,
    }
}

/// Accumulated comparison of one operator.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    pub cases: u64,
    /// Cases where bpfvet's concretization is a strict subset of the kernel model's.
    pub strictly_better: u64,
    /// Cases where bpfvet's concretization is not contained in the kernel model's (with a witness).
    pub worse: Vec<String>,
    /// Cases where the model misses a concrete result (a model bug or a kernel soundness bug).
    pub model_unsound: Vec<String>,
    pub sum_ours: u128,
    pub sum_kernel: u128,
    pub sum_best: u128,
    pub sum_exact: u128,
}

impl Stats {
    pub fn mean(&self, x: u128) -> f64 {
        x as f64 / self.cases.max(1) as f64
    }
}

fn all<W: Word>() -> impl Iterator<Item = W> {
    (0..1u128 << W::BITS).map(W::from_u128)
}

/// Compares one result: `ours` (None = bottom) against `kern` (None = pruned), given the exact set.
fn compare<W: WideWord>(
    st: &mut Stats,
    what: &str,
    ours: Option<&ScalarOf<W>>,
    kern: Option<&KReg>,
    exact: &HashSet<W>,
) {
    st.cases += 1;
    let in_ours = |x: W| ours.is_some_and(|o| o.contains(x));
    let in_kern = |x: W| kern.is_some_and(|k| k.contains(x.to_u128()));
    let (mut n_ours, mut n_kern) = (0u128, 0u128);
    let mut worse = None;
    for x in all::<W>() {
        let (o, k) = (in_ours(x), in_kern(x));
        n_ours += u128::from(o);
        n_kern += u128::from(k);
        if o && !k && worse.is_none() {
            worse = Some(x);
        }
    }
    if let Some(x) = worse {
        if st.worse.len() < 5 {
            st.worse
                .push(format!("{what}: ours={ours:?} kernel={kern:?} has {x}"));
        }
    } else if n_ours < n_kern {
        st.strictly_better += 1;
    }
    if let Some(x) = exact.iter().find(|&&x| !in_kern(x)) {
        if st.model_unsound.len() < 5 {
            st.model_unsound
                .push(format!("{what}: kernel={kern:?} misses {x}"));
        }
    }
    st.sum_ours += n_ours;
    st.sum_kernel += n_kern;
    st.sum_exact += exact.len() as u128;
    let best = exact
        .iter()
        .map(|&x| ScalarOf::<W>::constant(x))
        .reduce(ScalarOf::join);
    st.sum_best += best.map_or(0, |b| all::<W>().filter(|&x| b.contains(x)).count() as u128);
}

fn members<W: WideWord>(a: &ScalarOf<W>) -> Vec<W> {
    all::<W>().filter(|&x| a.contains(x)).collect()
}

/// Binary ALU operator at a width.
pub fn alu<W: WideWord>(st: &mut Stats, op: AluOp, width: Width, a: ScalarOf<W>, b: ScalarOf<W>) {
    let ours = ScalarOf::alu(op, width, a, b);
    let kern = to_kreg(&a).alu(kop(op), width == Width::W32, to_kreg(&b));
    let mut exact = HashSet::new();
    for x in members(&a) {
        for y in members(&b) {
            exact.insert(match width {
                Width::W64 => op.eval(x, y),
                Width::W32 => W::zext(op.eval(x.lo(), y.lo())),
            });
        }
    }
    compare(
        st,
        &format!("{op:?}/{width:?} {a} {b}"),
        Some(&ours),
        Some(&kern),
        &exact,
    );
}

/// A boxed concrete operation.
type ConcreteFn<W> = Box<dyn Fn(W) -> W>;

/// Unary operators: `neg` at both widths and 64-bit sign extension from `bits`.
pub fn unary<W: WideWord>(st: &mut Stats, which: &str, a: ScalarOf<W>) {
    let k = to_kreg(&a);
    let (ours, kern, f): (ScalarOf<W>, KReg, ConcreteFn<W>) = match which {
        "neg64" => (
            a.neg(Width::W64),
            k.neg(false),
            Box::new(|x: W| x.wrapping_neg()),
        ),
        "neg32" => (
            a.neg(Width::W32),
            k.neg(true),
            Box::new(|x: W| W::zext(x.lo().wrapping_neg())),
        ),
        _ => {
            let bits: u32 = which
                .trim_start_matches("sext")
                .parse()
                .expect("sext<bits>");
            (
                a.sign_extend(bits, Width::W64),
                k.sext64(bits),
                Box::new(move |x: W| x.sext_from(bits)),
            )
        }
    };
    let exact: HashSet<W> = members(&a).into_iter().map(f).collect();
    compare(
        st,
        &format!("{which} {a}"),
        Some(&ours),
        Some(&kern),
        &exact,
    );
}

/// Branch refinement, both operands of one edge counted as two cases.
pub fn refine<W: WideWord>(
    st: &mut Stats,
    cond: Cond,
    width: Width,
    a: ScalarOf<W>,
    b: ScalarOf<W>,
    taken: bool,
) {
    let jmp32 = width == Width::W32;
    let ours = ScalarOf::refine(cond, width, a, b, taken);
    let kern = krefine(to_kreg(&a), to_kreg(&b), kjmp(cond), jmp32, taken);
    let (mut ea, mut eb) = (HashSet::new(), HashSet::new());
    for x in members(&a) {
        for y in members(&b) {
            let holds = match width {
                Width::W64 => cond.eval(x, y),
                Width::W32 => cond.eval(x.lo(), y.lo()),
            };
            if holds == taken {
                ea.insert(x);
                eb.insert(y);
            }
        }
    }
    let what = format!("{cond:?}/{width:?}/{taken} {a} {b}");
    compare(
        st,
        &what,
        ours.as_ref().map(|r| &r.0),
        kern.as_ref().map(|k| &k.0),
        &ea,
    );
    compare(
        st,
        &what,
        ours.as_ref().map(|r| &r.1),
        kern.as_ref().map(|k| &k.1),
        &eb,
    );
}

/// The sweep family: α of every subset of words (4 bits) or a deterministic sample (8 bits).
pub fn family<W: WideWord>(seed: u64) -> Vec<ScalarOf<W>> {
    let vals: Vec<W> = all::<W>().collect();
    let mut seen = HashSet::new();
    let mut res = Vec::new();
    if W::BITS <= 4 {
        let n = vals.len();
        let mut alphas: Vec<Option<ScalarOf<W>>> = vec![None; 1 << n];
        for set in 1usize..(1 << n) {
            let top = usize::BITS - 1 - set.leading_zeros();
            let c = ScalarOf::constant(vals[top as usize]);
            let s = alphas[set & !(1 << top)].map_or(c, |r| r.join(c));
            alphas[set] = Some(s);
            if seen.insert(s) {
                res.push(s);
            }
        }
        return res;
    }
    let mut x = seed | 1;
    let mut rnd = move |n: usize| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n as u64) as usize
    };
    for _ in 0..4000 {
        let a = vals[rnd(vals.len())];
        let kind = rnd(4);
        let s = match kind {
            0 => ScalarOf::constant(a),
            1 => {
                let b = vals[rnd(vals.len())];
                ScalarOf::from_urange(a.min(b), a.max(b)).expect("ordered")
            }
            2 => {
                let b = vals[rnd(vals.len())];
                ScalarOf::from_srange(a.smin_of(b), a.smax_of(b)).expect("ordered")
            }
            _ => (0..1 + rnd(5))
                .map(|_| ScalarOf::constant(vals[rnd(vals.len())]))
                .fold(ScalarOf::constant(a), ScalarOf::join),
        };
        if seen.insert(s) {
            res.push(s);
        }
    }
    res
}

/// Deterministic sample of pairs.
pub fn pairs<W: WideWord>(
    fam: &[ScalarOf<W>],
    n: usize,
    seed: u64,
) -> Vec<(ScalarOf<W>, ScalarOf<W>)> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let mut rnd = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    (0..n)
        .map(|_| {
            (
                fam[(rnd() % fam.len() as u64) as usize],
                fam[(rnd() % fam.len() as u64) as usize],
            )
        })
        .collect()
}
