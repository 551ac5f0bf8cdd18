//! Cases from the kernel's own verifier tests (`progs/verifier_*.c`) that bpfvet once accepted
//! although the kernel rejects them, rewritten as small programs: each file is one mechanism,
//! each test asserts the message the live kernel (6.18) printed for the same program.

use crate::isa::text::parse_program;
use crate::isa::Insn;
use crate::program::MapDef;
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, Verdict, VerifyResult};

mod aligned_long_arg;
mod ctx_null_compare;
mod current_task_helpers;
mod empty_stack_buffer;
mod helper_stack_clobber;
mod hidden_exits;
mod inner_map_null;
mod ldsx_ctx;
mod local_storage_flags;
mod map_access_flags;
mod map_ptr_negative;
mod mem_arg_type;
mod meta_bound;
mod no_btf_func_info;
mod null_check_operand_order;
mod pkt_helper_access;
mod pkt_invalidation;
mod precision;
mod ptr_sub_32;
mod same_insn_base;
mod sock_cast_refs;
mod spin_lock_identity;
mod stack_sub;
mod untracked_alu;
mod zero_size_arg;

/// Verifies `src` (llvm-objdump syntax) as a privileged program of `prog_type` with `maps`.
fn check(prog_type: &str, maps: &[MapDef], src: &str) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name(prog_type).expect("program type");
    verify(&Input::bare(&insns, maps, rules, true), &Options::default())
}

/// Asserts that the first finding has `code` and the kernel's `message`.
#[track_caller]
fn assert_rejected(res: &VerifyResult, code: Code, message: &str) {
    assert_eq!(res.verdict, Verdict::Reject, "{:?}", res.violations);
    let v = &res.violations[0];
    assert_eq!((v.code, v.kernel_message.as_str()), (code, message));
}

#[track_caller]
fn assert_accepted(res: &VerifyResult) {
    assert_eq!(res.verdict, Verdict::Accept, "{:?}", res.violations);
}
