//! Byte swaps against the kernel model at 64 bits, where they mean something.
//!
//! The inputs (`byte_swaps/inputs.rs`) list every member, so the model's soundness is checked member
//! by member. Containment of bpfvet's result in the model's is shown view by view (a tnum and four
//! ranges each inside the model's implies containment of the concretizations); where that is not
//! enough and the result is small, by enumerating bpfvet's members. Results up to `2^16` members
//! are also counted, to find the strictly more precise cases.
#![allow(
    dead_code,
    reason = "shared between the tests and the precision example"
)]

use bpfvet_lattice::Scalar;

use super::harness::to_kreg;
use super::model::{sx, KReg};
use super::swap_inputs::{abs, conc, Input};

/// Accumulated comparison of one operation.
#[derive(Debug, Default)]
pub struct WideStats {
    pub cases: u64,
    /// Cases whose both concretizations were small enough to count.
    pub counted: u64,
    pub strictly_better: u64,
    pub worse: Vec<String>,
    pub model_unsound: Vec<String>,
}

/// Every view of `ours` inside the model's: sufficient for `γ(ours) ⊆ γ(kern)`.
fn views_inside(ours: &Scalar, k: &KReg) -> bool {
    let t = ours.var_off();
    let (v, m) = (u128::from(t.value()), u128::from(t.mask()));
    m & !k.var_off.m == 0
        && v & !k.var_off.m == k.var_off.v
        && k.umin <= u128::from(ours.umin())
        && u128::from(ours.umax()) <= k.umax
        && k.smin <= i128::from(ours.smin())
        && i128::from(ours.smax()) <= k.smax
        && k.u32_min <= u128::from(ours.u32_min())
        && u128::from(ours.u32_max()) <= k.u32_max
        && k.s32_min <= i128::from(ours.s32_min())
        && i128::from(ours.s32_max()) <= k.s32_max
}

const ENUM_LIMIT: u128 = 1 << 16;

/// `|γ|` of bpfvet's result, if its tnum has at most `ENUM_LIMIT` members.
fn count_ours(r: &Scalar) -> Option<u64> {
    let t = r.var_off();
    (t.count() <= ENUM_LIMIT).then(|| t.members().filter(|&x| r.contains(x)).count() as u64)
}

/// `|γ|` of the model's result, if its tnum has at most `ENUM_LIMIT` members.
fn count_kern(k: &KReg) -> Option<u64> {
    let m = k.var_off.m;
    if m.count_ones() > 16 {
        return None;
    }
    // Walk the subsets of the mask.
    let mut n = 0;
    let mut sub = 0u128;
    loop {
        if k.contains(k.var_off.v | sub) {
            n += 1;
        }
        if sub == m {
            break;
        }
        sub = (sub.wrapping_sub(m)) & m;
    }
    Some(n)
}

/// One byte-swap case.
pub fn byte_swap(st: &mut WideStats, name: &str, bits: u32, inp: &Input) {
    st.cases += 1;
    let ours = abs(name, bits, inp.a);
    let kern = to_kreg(&inp.a).byte_swap(bits, name != "to_le");
    if let Some(x) = inp
        .members
        .iter()
        .find(|&&x| !kern.contains(u128::from(conc(name, bits, x))))
    {
        if st.model_unsound.len() < 5 {
            st.model_unsound.push(format!(
                "{name}{bits} {}: kernel={kern:?} misses {x:#x}",
                inp.a
            ));
        }
    }
    let inside = views_inside(&ours, &kern)
        || (ours.var_off().count() <= ENUM_LIMIT
            && ours
                .var_off()
                .members()
                .filter(|&x| ours.contains(x))
                .all(|x| kern.contains(u128::from(x))));
    if !inside {
        if st.worse.len() < 5 {
            st.worse.push(format!(
                "{name}{bits} {}: ours={ours} kernel={kern:?}",
                inp.a
            ));
        }
        return;
    }
    if let (Some(o), Some(k)) = (count_ours(&ours), count_kern(&kern)) {
        st.counted += 1;
        if o < k {
            st.strictly_better += 1;
        }
    }
    // The model's signed views are read as 64-bit numbers.
    debug_assert!(kern.smin >= sx(1 << 63, 64));
}
