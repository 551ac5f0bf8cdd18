//! The hidden exits of `ld_abs`/`ld_ind` (the load ends the function with r0 = 0 when it is
//! outside the packet) and of tail calls (verifier_ld_ind.c `ld_*_subprog_early_exit`,
//! `ld_*_void_subprog_reject`; verifier_spin_lock.c `test11_ld_abs_under_lock`).

use super::{assert_accepted, assert_rejected, check};
use crate::btf::{Btf, TypeId};
use crate::isa::text::parse_program;
use crate::isa::{Insn, InsnIdx};
use crate::program::{FuncInfo, MapType};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

/// The caller reads r9, never written, only when the subprogram returns 0.
fn early_exit(load: &str) -> String {
    format!(
        "call pc+0x4
         if r0 != 0x0 goto +0x1
         r0 = r9
         r0 = 0x0
         exit
         r6 = r1
         {load}
         r0 = 0x1
         exit"
    )
}

#[test]
fn a_packet_load_in_a_subprogram_may_return_zero_to_the_caller() {
    for load in [
        "r0 = *(u32 *)skb[0x0]",
        "r7 = 0x0\nr0 = *(u32 *)skb[r7 + 0x0]",
    ] {
        let res = check("socket_filter", &[], &early_exit(load));
        assert_rejected(&res, Code::UninitRegRead, "R9 !read_ok");
    }
}

/// The same program is safe when the caller handles both results.
#[test]
fn both_results_of_a_packet_load_in_a_subprogram_are_safe() {
    let src = early_exit("r0 = *(u32 *)skb[0x0]").replace("r0 = r9", "r0 = 0x2");
    assert_accepted(&check("socket_filter", &[], &src));
}

#[test]
fn a_packet_load_with_a_spin_lock_held_is_rejected() {
    let (map, lock_btf) = super::locked_map("locked", MapType::ARRAY);
    let src = "r6 = r1
        r1 = 0x0
        *(u32 *)(r10 - 0x4) = w1
        r2 = r10
        r2 += -0x4
        ld_pseudo r1, 0x5, 0x0
        call 0x1
        if r0 != 0x0 goto +0x1
        exit
        r7 = r0
        r1 = r0
        r1 += 0x4
        call 0x5d
        r0 = *(u8 *)skb[0x0]
        r1 = r7
        r1 += 0x4
        call 0x5e
        r0 = 0x0
        exit";
    let res = super::check_with_btf("sched_cls", &[map], &lock_btf, src);
    assert_rejected(
        &res,
        Code::SpinLockMisuse,
        "BPF_LD_[ABS|IND] cannot be used inside bpf_spin_lock-ed region",
    );
}

/// BTF with `int` (1), `void (void)` (2), `sub` (3, static, of 2), `int (void)` (4) and
/// `isub` (5, static, of 4).
fn btf() -> Btf {
    let strings = b"\0int\0sub\0isub\0";
    // Each type: name offset, kind << 24 | vlen, size or type, then its extra words.
    #[rustfmt::skip]
    let words: [u32; 16] = [
        1, 1 << 24, 4, (1 << 24) | 32, // int: signed, 32 bits
        0, 13 << 24, 0, // void (void)
        5, 12 << 24, 2, // sub
        0, 13 << 24, 1, // int (void)
        9, 12 << 24, 4, // isub
    ];
    Btf::parse(&crate::btf::test_blob(&words, strings)).expect("valid BTF")
}

/// Verifies `src` whose subprogram at instruction 3 is described by BTF type `func`.
fn check_with_func(src: &str, func: u32) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("socket_filter").expect("rules");
    let btf = btf();
    let info = [FuncInfo {
        insn: InsnIdx(3),
        type_id: TypeId(func),
        name: "sub".into(),
    }];
    let mut input = Input::bare(&insns, &[], rules, true);
    input.btf = Some(&btf);
    input.func_info = &info;
    verify(&input, &Options::default())
}

const CALLS_LOAD: &str = "call pc+0x2
    r0 = 0x0
    exit
    r6 = r1
    r0 = *(u32 *)skb[0x0]
    r0 = 0x1
    exit";

#[test]
fn a_packet_load_in_a_void_function_is_rejected() {
    let res = check_with_func(CALLS_LOAD, 3);
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "LD_ABS is only allowed in functions that return 'int'.",
    );
    assert_accepted(&check_with_func(CALLS_LOAD, 5));
}

#[test]
fn a_tail_call_in_a_void_function_is_rejected() {
    let src = "call pc+0x2
        r0 = 0x0
        exit
        r2 = 0x0
        r3 = 0x0
        call 0xc
        exit";
    let res = check_with_func(src, 3);
    assert_rejected(
        &res,
        Code::TailCallMisuse,
        "tail_call is only allowed in functions that return 'int'.",
    );
}
