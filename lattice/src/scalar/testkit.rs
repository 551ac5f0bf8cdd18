//! Test helpers: a deterministic PRNG, the sweep family of small scalars, and γ enumeration.

use std::collections::HashSet;

use super::ScalarOf;
use crate::word::{all_values, WideWord, Word};

/// xorshift64*: a tiny deterministic generator (no dependency needed).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

/// Whether the slow, wider sweeps are enabled (`SLOW_TESTS=1`).
pub fn slow() -> bool {
    std::env::var("SLOW_TESTS").is_ok_and(|v| v == "1")
}

/// The members of γ, in increasing order.
pub fn members<W: WideWord>(a: &ScalarOf<W>) -> Vec<W> {
    a.var_off().members().filter(|&x| a.contains(x)).collect()
}

/// The sweep family at a small width: the best abstraction of every subset of words at 4 bits
/// (65536 subsets), or of a sample of subsets, intervals and tnums at 8 bits; deduplicated.
pub fn family<W: WideWord>() -> Vec<ScalarOf<W>> {
    use std::any::Any;
    use std::sync::{Mutex, OnceLock};
    // Built once per word type and shared by every test of the binary.
    static CACHE: OnceLock<Mutex<Vec<Box<dyn Any + Send>>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(Vec::new()));
    let mut guard = cache.lock().unwrap_or_else(|e| e.into_inner());
    for it in guard.iter() {
        if let Some(f) = it.downcast_ref::<Vec<ScalarOf<W>>>() {
            return f.clone();
        }
    }
    let f = build_family::<W>();
    guard.push(Box::new(f.clone()));
    f
}

fn build_family<W: WideWord>() -> Vec<ScalarOf<W>> {
    let mut seen = HashSet::new();
    let mut res = Vec::new();
    fn push<W: WideWord>(
        seen: &mut HashSet<ScalarOf<W>>,
        res: &mut Vec<ScalarOf<W>>,
        s: ScalarOf<W>,
    ) {
        if seen.insert(s) {
            res.push(s);
        }
    }
    let vals: Vec<W> = all_values::<W>().collect();
    if W::BITS <= 4 {
        // α(S) = α(S without its highest element) ⊔ {highest}: one join per subset.
        let n = vals.len();
        let mut alphas: Vec<Option<ScalarOf<W>>> = vec![None; 1 << n];
        for set in 1usize..(1 << n) {
            let top = usize::BITS - 1 - set.leading_zeros();
            let rest = set & !(1 << top);
            let c = ScalarOf::constant(vals[top as usize]);
            let s = alphas[rest].map_or(c, |r| r.join(c));
            alphas[set] = Some(s);
            push(&mut seen, &mut res, s);
        }
    } else {
        let mut rng = Rng::new(1);
        for t in crate::tnum::Tnum::<W>::all().step_by(7) {
            push(&mut seen, &mut res, ScalarOf::from_tnum(t));
        }
        for u in crate::urange::URange::<W>::all().step_by(53) {
            push(
                &mut seen,
                &mut res,
                ScalarOf::from_urange(u.lo(), u.hi()).unwrap(),
            );
        }
        for s in crate::srange::SRange::<W>::all().step_by(53) {
            push(
                &mut seen,
                &mut res,
                ScalarOf::from_srange(s.lo(), s.hi()).unwrap(),
            );
        }
        for _ in 0..3000 {
            let n = 1 + rng.below(6);
            let s = (0..n)
                .map(|_| ScalarOf::constant(vals[rng.below(vals.len())]))
                .reduce(ScalarOf::join)
                .unwrap();
            push(&mut seen, &mut res, s);
        }
        for _ in 0..3000 {
            let a = res[rng.below(res.len())];
            let b = res[rng.below(res.len())];
            if let Some(m) = a.meet(b) {
                push(&mut seen, &mut res, m);
            }
        }
    }
    res
}

/// Pairs of family members to sweep: all of them if few, else a deterministic sample.
pub fn pairs<W: WideWord>(
    fam: &[ScalarOf<W>],
    n: usize,
    seed: u64,
) -> Vec<(ScalarOf<W>, ScalarOf<W>)> {
    if fam.len() * fam.len() <= n {
        return fam
            .iter()
            .flat_map(|&a| fam.iter().map(move |&b| (a, b)))
            .collect();
    }
    let mut rng = Rng::new(seed);
    (0..n)
        .map(|_| (fam[rng.below(fam.len())], fam[rng.below(fam.len())]))
        .collect()
}

/// Number of pairs per binary operator: small by default, large with `SLOW_TESTS=1`.
pub fn budget<W: Word>() -> usize {
    match (slow(), W::BITS <= 4) {
        (false, _) => 2_500,
        (true, true) => 200_000,
        (true, false) => 15_000,
    }
}

/// 64-bit seeds at the type boundaries (reg_bounds.c style).
pub fn seeds64() -> Vec<u64> {
    let mut v = vec![
        0,
        1,
        2,
        7,
        0x7f,
        0x80,
        0xff,
        0x100,
        0x7fff,
        0x8000,
        0xffff,
        u64::from(u32::MAX) - 1,
        u64::from(u32::MAX),
        u64::from(u32::MAX) + 1,
        i32::MAX as u64,
        i32::MIN as u64,
        (i32::MIN as u32) as u64,
        i64::MAX as u64,
        i64::MIN as u64,
        u64::MAX - 1,
        u64::MAX,
        63,
        64,
        31,
        32,
    ];
    v.extend(v.clone().iter().map(|x| x.wrapping_neg()));
    v
}

/// Applies a check to every pair of family members (sampled) and every pair of concrete members.
pub fn sweep_binary<W: WideWord>(
    name: &str,
    abs: impl Fn(ScalarOf<W>, ScalarOf<W>) -> ScalarOf<W>,
    conc: impl Fn(W, W) -> W,
) {
    let fam = family::<W>();
    for (a, b) in pairs(&fam, budget::<W>(), name.len() as u64) {
        let r = abs(a, b);
        for x in members(&a) {
            for y in members(&b) {
                let z = conc(x, y);
                assert!(
                    r.contains(z),
                    "{name}: {a} op {b} = {r} misses {x} op {y} = {z}"
                );
            }
        }
    }
}

/// 64-bit sampling: random scalars around the boundary seeds, random members, checked by `contains`.
pub fn sample64(
    name: &str,
    abs: impl Fn(ScalarOf<u64>, ScalarOf<u64>) -> ScalarOf<u64>,
    conc: impl Fn(u64, u64) -> u64,
) {
    let mut rng = Rng::new(name.len() as u64 * 31 + 5);
    let seeds = seeds64();
    let n = if slow() { 200_000 } else { 800 };
    for _ in 0..n {
        let a = random64(&mut rng, &seeds);
        let b = random64(&mut rng, &seeds);
        let r = abs(a, b);
        for _ in 0..8 {
            let (x, y) = (member64(&mut rng, &a), member64(&mut rng, &b));
            let z = conc(x, y);
            assert!(
                r.contains(z),
                "{name}: {a} op {b} = {r} misses {x:#x} op {y:#x} = {z:#x}"
            );
        }
    }
}

/// A random 64-bit scalar near the boundary seeds.
pub fn random64(rng: &mut Rng, seeds: &[u64]) -> ScalarOf<u64> {
    let pick = |rng: &mut Rng| {
        let s = seeds[rng.below(seeds.len())];
        match rng.below(4) {
            0 => s,
            1 => s.wrapping_add(rng.next_u64() % 5),
            2 => s.wrapping_sub(rng.next_u64() % 5),
            _ => rng.next_u64() >> rng.below(64),
        }
    };
    let (x, y) = (pick(rng), pick(rng));
    match rng.below(5) {
        0 => ScalarOf::constant(x),
        1 => ScalarOf::from_urange(x.min(y), x.max(y)).unwrap(),
        2 => ScalarOf::from_srange(x.smin_of(y), x.smax_of(y)).unwrap(),
        3 => ScalarOf::from_tnum(crate::tnum::Tnum::unwrap_new(x & !y, y)),
        _ => ScalarOf::constant(x).join(ScalarOf::constant(y)),
    }
}

/// A random member: the bounds, or a random tnum member filtered by `contains`.
pub fn member64(rng: &mut Rng, a: &ScalarOf<u64>) -> u64 {
    for _ in 0..64 {
        let t = a.var_off();
        let cand = match rng.below(6) {
            0 => a.umin(),
            1 => a.umax(),
            2 => a.smin() as u64,
            3 => a.smax() as u64,
            _ => t.value() | (rng.next_u64() & t.mask()),
        };
        if a.contains(cand) {
            return cand;
        }
    }
    a.umin()
}

#[allow(dead_code, reason = "used by some test modules only")]
pub fn words<W: Word>() -> Vec<W> {
    all_values::<W>().collect()
}

#[test]
fn family_is_large_and_distinct() {
    let f = family::<crate::word::U4>();
    assert!(f.len() > 3000, "{}", f.len());
    assert_eq!(f.len(), f.iter().collect::<HashSet<_>>().len());
}
