//! The stack depth the kernel reports after its rewrites of a verified program.
//!
//! The "stack depth" of the kernel's log is printed once every rewrite is done, and two of
//! them add stack to a subprogram:
//! - an inlined `bpf_loop` call (`optimize_bpf_loop`, before the other rewrites): the loop's
//!   bound, counter and context are kept in three 8-byte slots below the verified stack, after
//!   rounding that stack up to 8 bytes. A call is inlined when, on every path that reached
//!   it, its flags (r4) were the constant 0 and its callback was the same function.
//! - a `may_goto` (`do_misc_fixups`): its counter, with the start time of the loop from Linux
//!   6.15 on x86-64 (16 bytes; 8 before), below what the loop inlining left.
//!
//! Both count only instructions the verifier reached: the kernel removes or overwrites the
//! others before rewriting. bpfvet reports and limits the verified depth, as the kernel
//! checks its limit before rewriting; this is only the figure its log prints (the selftests'
//! `__msg("stack depth ...")`).

use std::collections::{BTreeSet, HashMap};

use crate::cfg::Cfg;
use crate::isa::{Insn, InsnIdx};
use crate::verifier::env::KernelVersion;

/// What the exploration saw of the instructions the kernel rewrites with extra stack.
#[derive(Debug, Default)]
pub struct RewriteSeen {
    /// Per `bpf_loop` call reached: whether it can be inlined so far, and its callback.
    loops: HashMap<u32, (bool, u32)>,
    /// The `may_goto` instructions reached.
    may_goto: BTreeSet<u32>,
}

impl RewriteSeen {
    /// A path reached the `bpf_loop` call at `pc` with `callback` and flags that are (or may
    /// not be) the constant 0 (the kernel's `update_loop_inline_state`).
    pub fn bpf_loop(&mut self, pc: InsnIdx, callback: u32, flags_zero: bool) {
        self.loops
            .entry(pc.0)
            .and_modify(|(fit, first)| *fit = *fit && flags_zero && *first == callback)
            .or_insert((flags_zero, callback));
    }

    /// A path reached the `may_goto` at `pc`.
    pub fn may_goto(&mut self, pc: InsnIdx) {
        self.may_goto.insert(pc.0);
    }

    /// `verified` (per subprogram) with the stack the kernel's rewrites add.
    pub fn logged_depths(
        &self,
        insns: &[Insn],
        cfg: &Cfg,
        verified: &[u32],
        kernel: KernelVersion,
    ) -> Vec<u32> {
        let may_goto_extra = if kernel >= KernelVersion::new(6, 15) {
            16
        } else {
            8
        };
        let subprog_of = |pc: u32| cfg.subprog_of(InsnIdx(pc));
        let mut depths = verified.to_vec();
        for (i, d) in depths.iter_mut().enumerate() {
            let inlines = self
                .loops
                .iter()
                .any(|(pc, (fit, _))| *fit && subprog_of(*pc) == Some(i));
            if inlines {
                *d = d.next_multiple_of(8) + 24;
            }
            let waits = self.may_goto.iter().any(|pc| {
                subprog_of(*pc) == Some(i)
                    && matches!(insns.get(*pc as usize), Some(Insn::MayGoto { .. }))
            });
            if waits {
                *d += may_goto_extra;
            }
        }
        depths
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::isa::text::parse_program;
    use crate::rules::ProgTypeRules;
    use crate::verifier::env::{Input, Options};
    use crate::verifier::verify;

    fn logged(text: &str, kernel: KernelVersion) -> (Vec<u32>, Vec<u32>) {
        let insns = parse_program(text).expect("parses");
        let rules = ProgTypeRules::by_name("raw_tracepoint").expect("type");
        let input = Input::bare(&insns, &[], rules, true);
        let opts = Options {
            kernel,
            ..Options::default()
        };
        let res = verify(&input, &opts);
        (res.stack_depth, res.logged_stack_depth)
    }

    /// The live 6.18.44 logs "stack depth 24" for verifier_bpf_fastcall's
    /// `may_goto_interaction`, whose verified stack is 8 bytes; 6.12's annotation is 16.
    #[test]
    fn a_reached_may_goto_adds_its_counter_slots() {
        let text = "*(u64 *)(r10 - 8) = r1\n may_goto +1\n r0 = 1\n r0 = 0\n exit";
        assert_eq!(logged(text, KernelVersion::new(6, 18)), (vec![8], vec![24]));
        assert_eq!(logged(text, KernelVersion::new(6, 12)), (vec![8], vec![16]));
        // Behind a branch the verifier never takes: removed before the rewrites.
        let dead = "*(u64 *)(r10 - 8) = r1\n r0 = 0\n if r0 == 0x0 goto +1\n may_goto +0\n exit";
        assert_eq!(logged(dead, KernelVersion::new(6, 18)).1, vec![8]);
    }

    #[test]
    fn a_loop_is_inlined_only_while_every_path_agrees() {
        let mut seen = RewriteSeen::default();
        seen.bpf_loop(InsnIdx(3), 1, true);
        seen.bpf_loop(InsnIdx(3), 1, true);
        assert_eq!(seen.loops[&3], (true, 1));
        seen.bpf_loop(InsnIdx(3), 2, true);
        assert_eq!(seen.loops[&3], (false, 1), "another callback");
        seen.bpf_loop(InsnIdx(5), 1, false);
        seen.bpf_loop(InsnIdx(5), 1, true);
        assert_eq!(seen.loops[&5], (false, 1), "flags not known to be 0 once");
    }
}
