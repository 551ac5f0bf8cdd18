//! A counter that keeps counting after an open-coded iterator is drained: the shape of the
//! selftests' `iters.c` `iter_pragma_unroll_loop` and `iter_multiple_sequential_loops`, which
//! the kernel accepts and bpfvet rejected as an infinite loop. The loop goes on calling
//! `bpf_iter_num_next` on a drained iterator until `w6 == 3`; the counter decides that branch,
//! so the kernel marks it precise and keeps it out of the widening at `next`
//! (`widen_imprecise_scalars`). bpfvet widened every changed scalar there, the drained path
//! then came back to the instruction after `next` in exactly its old state, and the loop
//! check fired. Widening now keeps what some check demanded (`Precision::demanded`).
//!
//! Both programs were loaded into the live 6.18 kernel with the same instructions (as raw
//! instructions through bpf(), the kfunc calls to vmlinux's BTF ids): the first is accepted
//! (92 processed), the second rejected with "R1 invalid mem access 'scalar'", which shows
//! that the path where the counter reaches 3 is explored.

use super::assert_rejected;
use crate::isa::text::parse_program;
use crate::isa::{CallTarget, Insn, InsnIdx};
use crate::program::{InsnReloc, RelocTarget};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, Verdict, VerifyResult};

/// Verifies `src` as a GPL raw tracepoint whose `call kfunc 0` instructions go, in order, to
/// `names`.
fn check_kfuncs(src: &str, names: &[&str]) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let relocs: Vec<InsnReloc> = insns
        .iter()
        .enumerate()
        .filter(|(_, i)| matches!(i, Insn::Call(CallTarget::Kfunc { .. })))
        .zip(names)
        .map(|((at, _), name)| InsnReloc {
            insn: InsnIdx(at as u32),
            target: RelocTarget::Extern {
                name: (*name).to_string(),
            },
        })
        .collect();
    let rules = ProgTypeRules::by_name("raw_tracepoint").expect("rules");
    let mut input = Input::bare(&insns, &[], rules, true);
    input.relocs = &relocs;
    verify(&input, &Options::default())
}

const KFUNCS: [&str; 3] = [
    "bpf_iter_num_new",
    "bpf_iter_num_destroy",
    "bpf_iter_num_next",
];

/// `new(&it, 0, 2)`, then `next` until `w6`, counted once per call of `next` whatever it
/// returned, reaches 3; `END` is what runs after `destroy`.
const COUNT_PAST_DRAINED: &str = "
    r1 = r10
    r1 += -8
    w6 = 0
    w2 = 0
    w3 = 2
    call kfunc 0
    goto next
body:
    w3 = w6
    call 5
    w6 += 1
    if w6 != 3 goto next
    r1 = r10
    r1 += -8
    call kfunc 0
    END
next:
    r1 = r10
    r1 += -8
    call kfunc 0
    w4 = -1
    if r0 == 0 goto body
    w4 = *(u32 *)(r0 + 0)
    goto body
";

#[test]
fn a_counter_that_decides_the_exit_keeps_counting_past_a_drained_iterator() {
    let src = COUNT_PAST_DRAINED.replace("END", "w0 = 0\n    exit");
    let res = check_kfuncs(&src, &KFUNCS);
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
    // The kernel: 92 processed; bpfvet must not unroll the iterator either.
    assert!(
        res.stats.processed < 200,
        "{} processed",
        res.stats.processed
    );
}

#[test]
fn the_path_where_the_counter_reaches_its_bound_is_explored() {
    let src = COUNT_PAST_DRAINED.replace("END", "r1 = 0\n    r0 = *(u64 *)(r1 + 0)\n    exit");
    assert_rejected(
        &check_kfuncs(&src, &KFUNCS),
        Code::InvalidMemAccess,
        "R1 invalid mem access 'scalar'",
    );
}
