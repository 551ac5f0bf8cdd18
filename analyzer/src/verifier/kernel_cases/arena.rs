//! Arena pointers (`corpus/c/arena/arena.bpf.c`, whose programs Debian's 6.12.118 kernel gave
//! the verdicts and messages asserted here through `scripts/kernel-oracle --kernel 6.12`; the
//! live 6.18 build refuses to create arena maps). These programs reach the arena through an
//! `__arena` global (`lddw` of the arena map's value, a number the program casts) rather than
//! through `bpf_arena_alloc_pages`, so they need no kernel BTF; the kfunc path is the
//! selftests' `verifier_arena.o`.

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::program::{MapDef, MapType};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::{Verdict, VerifyResult};

fn arena() -> MapDef {
    MapDef::plain("arena", MapType(crate::rules::map_type::ARENA), 0, 0, 16)
}

fn check_at(kernel: KernelVersion, maps: &[MapDef], src: &str) -> VerifyResult {
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("syscall").expect("type");
    let opts = Options {
        kernel,
        ..Options::default()
    };
    crate::verifier::verify(&Input::bare(&insns, maps, rules, true), &opts)
}

fn check(src: &str) -> VerifyResult {
    check_at(KernelVersion::new(6, 12), &[arena()], src)
}

/// The address of the `__arena` global at offset 8, cast to an arena pointer in r1, then
/// `body`.
fn with_arena_ptr(body: &str) -> String {
    format!(
        "ld_pseudo r1, 0x6, 0x0, 0x8
         r1 = addr_space_cast(r1, 0x0, 0x1)
         {body}
         r0 = 0x0
         exit"
    )
}

#[test]
fn any_offset_and_any_arithmetic_keep_an_arena_pointer() {
    // arena_any_offset: an unbounded index, a negative offset, multiplication.
    let src = format!(
        "call 0x7
         {}",
        with_arena_ptr(
            "r1 += r0
         r1 *= 0x3
         *(u8 *)(r1 - 0x1000) = 0x2
         w2 = *(u32 *)(r1 + 0x7ff0)"
        )
    );
    assert_accepted(&check(&src));
}

#[test]
fn a_scalar_plus_an_arena_pointer_is_an_arena_pointer() {
    // arena_scalar_plus_arena (6.12.118 has the stable fix that allows it).
    let src = with_arena_ptr(
        "r2 = 0x8
         r2 += r1
         *(u64 *)(r2 + 0x0) = 0x1",
    );
    assert_accepted(&check(&src));
}

#[test]
fn the_uncast_address_is_a_number() {
    // arena_deref_uncast: the user-space address must be cast before it is dereferenced.
    let src = "ld_pseudo r1, 0x6, 0x0, 0x8
         r0 = *(u32 *)(r1 + 0x0)
         exit";
    assert_rejected(
        &check(src),
        Code::InvalidMemAccess,
        "R1 invalid mem access 'scalar'",
    );
}

#[test]
fn a_cast_needs_a_program_that_names_an_arena() {
    // arena_cast_no_arena.
    let src = "r1 = 0x1000
         r1 = addr_space_cast(r1, 0x0, 0x1)
         r0 = *(u32 *)(r1 + 0x0)
         exit";
    assert_rejected(
        &check(src),
        Code::InvalidInsn,
        "addr_space_cast insn can only be used in a program that has an associated arena",
    );
}

#[test]
fn atomics_on_arena_memory_except_fetching_and_or_xor() {
    // arena_atomic_add is accepted, arena_atomic_fetch_or rejected.
    let add = with_arena_ptr("r2 = 0x1\n lock *(u64 *)(r1 + 0x0) += r2");
    assert_accepted(&check(&add));
    let fetch_or = with_arena_ptr("r2 = 0x1\n r2 = atomic_fetch_or((u64 *)(r1 + 0x0), r2)");
    assert_rejected(
        &check(&fetch_or),
        Code::InvalidMemAccess,
        "BPF_ATOMIC stores into R1 arena is not allowed",
    );
}

#[test]
fn sign_extending_loads_from_arena_memory_are_refused() {
    // arena_sign_extending_load.
    let src = with_arena_ptr("r0 = *(s8 *)(r1 + 0x0)");
    assert_rejected(
        &check(&src),
        Code::InvalidMemAccess,
        "sign extending loads from arena are not supported yet",
    );
}

#[test]
fn casting_back_to_user_space_gives_a_number() {
    let src = with_arena_ptr(
        "r1 = addr_space_cast(r1, 0x1, 0x0)
         r0 = *(u32 *)(r1 + 0x0)",
    );
    assert_rejected(
        &check(&src),
        Code::InvalidMemAccess,
        "R1 invalid mem access 'scalar'",
    );
}

#[test]
fn arenas_do_not_exist_before_6_9() {
    let src = with_arena_ptr("w0 = *(u32 *)(r1 + 0x0)");
    let res = check_at(KernelVersion::new(6, 1), &[arena()], &src);
    assert_eq!(res.verdict, Verdict::Reject);
    assert_eq!(
        res.violations[0].kernel_message,
        "map 'arena': failed to create: -EINVAL"
    );
}

#[test]
fn a_global_past_the_arena_is_refused() {
    // 16 pages of 4 KiB: offset 65,537 lies past the end.
    let src = "ld_pseudo r1, 0x6, 0x0, 0x10001
         r0 = 0x0
         exit";
    assert_rejected(
        &check(src),
        Code::InvalidLdImm64,
        "invalid access to map value pointer, value_size=0 off=65537",
    );
}

#[test]
fn a_program_uses_one_arena() {
    let mut other = arena();
    other.name = "other".into();
    let src = "ld_pseudo r1, 0x6, 0x0, 0x0
         ld_pseudo r2, 0x6, 0x1, 0x0
         r0 = 0x0
         exit";
    let res = check_at(KernelVersion::new(6, 12), &[arena(), other], src);
    assert_rejected(&res, Code::InvalidLdImm64, "Only one arena per program");
}

#[test]
fn a_helper_takes_no_arena_memory() {
    // arena_helper_mem (corpus/c/arena/arena_args.bpf.c): bpf_get_current_comm into the arena.
    let src = with_arena_ptr("r2 = 0x10\n call 0x10");
    assert_rejected(
        &check(&src),
        Code::HelperArgType,
        "R1 type=arena expected=fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_",
    );
}
