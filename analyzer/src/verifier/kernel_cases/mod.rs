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
mod alloc_objects;
mod arena;
mod btf_ptr_helper_arg;
mod btf_struct_reads;
mod btf_walk_types;
mod ctx_null_compare;
mod current_task_helpers;
mod dynptrs;
mod empty_stack_buffer;
mod graph_peek;
mod helper_stack_clobber;
mod hidden_exits;
mod inner_map_null;
mod iter_counter;
mod jset_refinement;
mod kptr_fields;
mod lazy_globals;
mod ldsx_ctx;
mod linked_delta;
mod local_storage_flags;
mod loop_iterations;
mod lsm_int_return;
mod map_access_flags;
mod map_ptr_negative;
mod mem_arg_type;
mod member_end;
mod meta_bound;
mod netfilter_ctx;
mod no_btf_func_info;
mod null_check_operand_order;
mod old_releases;
mod pkt_helper_access;
mod pkt_invalidation;
mod precision;
mod ptr_sub_32;
mod same_insn_base;
mod sched_ext;
mod shift_bounds;
mod sleepable_inner_maps;
mod sleepable_maps;
mod sleepable_targets;
mod sock_cast_refs;
mod special_fields_by_prog_type;
mod spin_lock_btf;
mod spin_lock_identity;
mod stack_depth_reads;
mod stack_sub;
mod strict_alignment;
mod tail_call_frames;
mod throw_and_preempt;
mod unprivileged;
mod untracked_alu;
mod walked_trust;
mod xdp_sock;
mod zero_size_arg;

/// Verifies `src` (llvm-objdump syntax) as a privileged program of `prog_type` with `maps`.
fn check(prog_type: &str, maps: &[MapDef], src: &str) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name(prog_type).expect("program type");
    verify(&Input::bare(&insns, maps, rules, true), &Options::default())
}

/// Looks up key 0 in map 0, exits when there is no value, and leaves the value pointer in
/// `dst` (llvm-objdump syntax, to splice into a test program).
fn lookup_key0(dst: &str) -> String {
    format!(
        "r1 = 0x0
         *(u32 *)(r10 - 0x4) = w1
         r2 = r10
         r2 += -0x4
         ld_pseudo r1, 0x5, 0x0
         call 0x1
         if r0 != 0x0 goto +0x1
         exit
         {dst} = r0"
    )
}

/// A map `name` of `map_type` whose 8-byte value is `struct value { int x; struct
/// bpf_spin_lock l; }` (the lock at offset 4) described by the returned BTF, as
/// `verifier_spin_lock.c` declares its maps.
fn locked_map(name: &str, map_type: crate::program::MapType) -> (MapDef, crate::btf::Btf) {
    // 1: int; 2: struct bpf_spin_lock { int val; }; 3: struct value { int x; ... l; }.
    let strings = b"\0int\0bpf_spin_lock\0val\0value\0x\0l\0";
    let words = [
        1,
        1 << 24,
        4,
        (1 << 24) | 32,
        5,
        (4 << 24) | 1,
        4,
        19,
        1,
        0,
        23,
        (4 << 24) | 2,
        8,
        29,
        1,
        0,
        31,
        2,
        32,
    ];
    let btf = crate::btf::Btf::parse(&crate::btf::test_blob(&words, strings)).expect("BTF");
    let mut def = MapDef::plain(name, map_type, 4, 8, 1);
    def.value_type = Some(crate::btf::TypeId(3));
    (def, btf)
}

/// [`check`] with the object's BTF (map value layouts).
fn check_with_btf(
    prog_type: &str,
    maps: &[MapDef],
    btf: &crate::btf::Btf,
    src: &str,
) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name(prog_type).expect("program type");
    let mut input = Input::bare(&insns, maps, rules, true);
    input.btf = Some(btf);
    verify(&input, &Options::default())
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

/// A netfilter program that loads `ctx->skb` into r2 (with `btf` as the kernel's BTF, its
/// context typed by it), then does `access` through it, and returns 1.
fn netfilter_skb_access(btf: &crate::btf::Btf, access: &str) -> VerifyResult {
    let src = format!(
        "r2 = *(u64 *)(r1 + 0x8)
         {access}
         r0 = 0x1
         exit"
    );
    let insns = parse_program(&src).expect("parses");
    let rules = ProgTypeRules::by_name("netfilter").expect("program type");
    verify(
        &Input::bare(&insns, &[], rules, true).with_kernel_btf(Some(btf)),
        &Options::default(),
    )
}
