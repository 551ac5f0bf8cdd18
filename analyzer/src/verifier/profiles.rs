//! Kernel profiles: the releases bpfvet knows the rules of, and the oldest one from which on a
//! program is accepted (`bpfvet check --min-kernel`).

use super::env::{Input, KernelVersion, Options};
use super::{verify, Verdict};

/// Releases where the verifier's rules changed in ways the tables record (instruction set,
/// helpers, limits, messages), oldest first. Long-term-support releases are included so the
/// answer names a kernel people run.
pub const PROFILES: &[KernelVersion] = &[
    KernelVersion::new(4, 14),
    KernelVersion::new(4, 19),
    KernelVersion::new(5, 2),
    KernelVersion::new(5, 3),
    KernelVersion::new(5, 4),
    KernelVersion::new(5, 8),
    KernelVersion::new(5, 10),
    KernelVersion::new(5, 12),
    KernelVersion::new(5, 13),
    KernelVersion::new(5, 15),
    KernelVersion::new(5, 17),
    KernelVersion::new(6, 1),
    KernelVersion::new(6, 6),
    KernelVersion::new(6, 9),
    KernelVersion::new(6, 10),
    KernelVersion::new(6, 12),
    KernelVersion::new(6, 15),
    KernelVersion::LATEST,
];

/// The oldest profile from which on `input` is accepted: every profile from it to the newest
/// accepts, checking under the privilege and budgets of `base`. `None` when the newest profile
/// rejects it, even if older ones accept (a check the kernel added later: the program would
/// stop loading on upgrade, so no release is "enough").
pub fn min_kernel(input: &Input<'_>, base: &Options) -> Option<KernelVersion> {
    let accepts = |kernel: KernelVersion| {
        let opts = Options {
            kernel,
            ..base.clone()
        };
        verify(input, &opts).verdict == Verdict::Accept
    };
    let mut oldest = None;
    for &kernel in PROFILES.iter().rev() {
        if !accepts(kernel) {
            break;
        }
        oldest = Some(kernel);
    }
    oldest
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::isa::{AluOp, Insn, Operand, Reg, Width};
    use crate::rules::ProgTypeRules;

    fn input(insns: &[Insn]) -> Input<'_> {
        let rules = ProgTypeRules::by_name("socket_filter").expect("socket_filter rules");
        Input::bare(insns, &[], rules, true)
    }

    fn alu(op: AluOp, imm: i32) -> Insn {
        Insn::Alu {
            width: Width::W64,
            op,
            dst: Reg::R0,
            src: Operand::Imm(imm),
        }
    }

    #[test]
    fn signed_division_needs_isa_v4() {
        let prog = [alu(AluOp::Mov, 7), alu(AluOp::SDiv, 2), Insn::Exit];
        let base = Options::default();
        let old = Options {
            kernel: KernelVersion::new(6, 1),
            ..base.clone()
        };
        let res = verify(&input(&prog), &old);
        assert_eq!(res.verdict, Verdict::Reject);
        assert_eq!(
            res.violations[0].code,
            crate::verifier::violation::Code::UnsupportedInsn
        );
        assert_eq!(
            min_kernel(&input(&prog), &base),
            Some(KernelVersion::new(6, 6))
        );
    }

    #[test]
    fn plain_programs_run_on_the_oldest_profile() {
        let prog = [alu(AluOp::Mov, 0), Insn::Exit];
        assert_eq!(
            min_kernel(&input(&prog), &Options::default()),
            Some(PROFILES[0])
        );
    }

    #[test]
    fn profiles_are_sorted_and_end_at_latest() {
        assert!(PROFILES.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(PROFILES.last(), Some(&KernelVersion::LATEST));
    }
}
