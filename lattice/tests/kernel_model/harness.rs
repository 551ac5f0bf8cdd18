//! Runs bpfvet's operators and the kernel model on the same inputs and compares concretizations.
#![allow(
    dead_code,
    reason = "shared between the tests and the precision example"
)]

use std::collections::HashSet;
use std::sync::OnceLock;

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
    assert!(
        W::BITS <= 8,
        "the harness enumerates words of at most 8 bits"
    );
    (0..1u128 << W::BITS).map(W::from_u128)
}

/// A set of words of at most 8 bits, as a bit set (no allocation on the hot path).
#[derive(Clone, Copy, Default, PartialEq, Eq)]
pub struct Set([u64; 4]);

impl Set {
    pub fn insert<W: Word>(&mut self, x: W) {
        let i = x.to_u128() as usize;
        self.0[i >> 6] |= 1 << (i & 63);
    }
    pub fn has<W: Word>(&self, x: W) -> bool {
        let i = x.to_u128() as usize;
        self.0[i >> 6] >> (i & 63) & 1 == 1
    }
    pub fn len(&self) -> u32 {
        self.0.iter().map(|w| w.count_ones()).sum()
    }
    pub fn is_empty(&self) -> bool {
        self.0 == [0; 4]
    }
    pub fn iter<W: Word>(&self) -> impl Iterator<Item = W> + '_ {
        all::<W>().filter(|&x| self.has(x))
    }
    /// The set as an index (only for 4-bit words: 16 members fit in the low 16 bits).
    fn index16(&self) -> usize {
        self.0[0] as usize & 0xffff
    }
}

/// `|γ(α(S))|` for every set `S` of 4-bit words (index = the set as a 16-bit mask), built once:
/// the best abstraction of the exact result without a join per case.
fn best_sizes4<W: WideWord>() -> &'static [u8] {
    static TABLE: OnceLock<Vec<u8>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let vals: Vec<W> = all::<W>().collect();
        let mut alphas: Vec<Option<ScalarOf<W>>> = vec![None; 1 << 16];
        let mut sizes = vec![0u8; 1 << 16];
        for set in 1usize..(1 << 16) {
            let top = usize::BITS - 1 - set.leading_zeros();
            let c = ScalarOf::constant(vals[top as usize]);
            let s = alphas[set & !(1 << top)].map_or(c, |r| r.join(c));
            alphas[set] = Some(s);
            sizes[set] = vals.iter().filter(|&&x| s.contains(x)).count() as u8;
        }
        sizes
    })
}

/// `|γ(α(exact))|`: the size of the best result this domain can express.
fn best_size<W: WideWord>(exact: &Set) -> u128 {
    if W::BITS == 4 {
        return u128::from(best_sizes4::<W>()[exact.index16()]);
    }
    let best = exact
        .iter::<W>()
        .map(ScalarOf::<W>::constant)
        .reduce(ScalarOf::join);
    best.map_or(0, |b| all::<W>().filter(|&x| b.contains(x)).count() as u128)
}

/// Compares one result: `ours` (None = bottom) against `kern` (None = pruned), given the exact set.
fn compare<W: WideWord>(
    st: &mut Stats,
    what: &dyn Fn() -> String,
    ours: Option<&ScalarOf<W>>,
    kern: Option<&KReg>,
    exact: &Set,
) {
    st.cases += 1;
    let (mut so, mut sk) = (Set::default(), Set::default());
    for x in all::<W>() {
        if ours.is_some_and(|o| o.contains(x)) {
            so.insert(x);
        }
        if kern.is_some_and(|k| k.contains(x.to_u128())) {
            sk.insert(x);
        }
    }
    if let Some(x) = so.iter::<W>().find(|&x| !sk.has(x)) {
        if st.worse.len() < 5 {
            st.worse
                .push(format!("{}: ours={ours:?} kernel={kern:?} has {x}", what()));
        }
    } else if so.len() < sk.len() {
        st.strictly_better += 1;
    }
    if let Some(x) = exact.iter::<W>().find(|&x| !sk.has(x)) {
        if st.model_unsound.len() < 5 {
            st.model_unsound
                .push(format!("{}: kernel={kern:?} misses {x}", what()));
        }
    }
    st.sum_ours += u128::from(so.len());
    st.sum_kernel += u128::from(sk.len());
    st.sum_exact += u128::from(exact.len());
    st.sum_best += best_size::<W>(exact);
}

fn members<W: WideWord>(a: &ScalarOf<W>) -> Vec<W> {
    all::<W>().filter(|&x| a.contains(x)).collect()
}

/// Binary ALU operator at a width.
pub fn alu<W: WideWord>(st: &mut Stats, op: AluOp, width: Width, a: ScalarOf<W>, b: ScalarOf<W>) {
    let ours = ScalarOf::alu(op, width, a, b);
    let kern = to_kreg(&a).alu(kop(op), width == Width::W32, to_kreg(&b));
    let mut exact = Set::default();
    let mb = members(&b);
    for x in members(&a) {
        for &y in &mb {
            exact.insert(match width {
                Width::W64 => op.eval(x, y),
                Width::W32 => W::zext(op.eval(x.lo(), y.lo())),
            });
        }
    }
    compare(
        st,
        &|| format!("{op:?}/{width:?} {a} {b}"),
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
    let mut exact = Set::default();
    for x in members(&a) {
        exact.insert(f(x));
    }
    compare(
        st,
        &|| format!("{which} {a}"),
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
    let (mut ea, mut eb) = (Set::default(), Set::default());
    let mb = members(&b);
    for x in members(&a) {
        for &y in &mb {
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
    let what = || format!("{cond:?}/{width:?}/{taken} {a} {b}");
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

/// The exhaustive sweep family at a small width: every tnum, every unsigned and signed interval of
/// the word and of the sub-register, as reduced scalars; with `full`, also the best abstraction of
/// every subset of words ([`family`] at 4 bits). Deduplicated.
pub fn sweep_family<W: WideWord>(full: bool) -> Vec<ScalarOf<W>> {
    use bpfvet_lattice::{SRange, Tnum, URange};
    let t = ScalarOf::<W>::top();
    let (tt, tu, ts, tu32, ts32) = (
        t.var_off(),
        t.urange(),
        t.srange(),
        t.urange32(),
        t.srange32(),
    );
    let parts = Tnum::<W>::all()
        .map(ScalarOf::from_tnum)
        .chain(URange::<W>::all().filter_map(|u| ScalarOf::from_parts(tt, u, ts, tu32, ts32)))
        .chain(SRange::<W>::all().filter_map(|s| ScalarOf::from_parts(tt, tu, s, tu32, ts32)))
        .chain(URange::<W::Half>::all().filter_map(|u| ScalarOf::from_parts(tt, tu, ts, u, ts32)))
        .chain(SRange::<W::Half>::all().filter_map(|s| ScalarOf::from_parts(tt, tu, ts, tu32, s)));
    let extra = if full { family::<W>(1) } else { Vec::new() };
    let mut seen = HashSet::new();
    parts.chain(extra).filter(|s| seen.insert(*s)).collect()
}
