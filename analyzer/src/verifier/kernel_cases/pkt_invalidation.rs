//! A call to a global function that may move packet data (itself or through what it calls)
//! invalidates the caller's packet pointers, as a helper that moves packet data does
//! (verifier_sock.c `invalidate_pkt_pointers_from_global_func`,
//! `invalidate_pkt_pointers_by_tail_call`).

use super::{assert_accepted, assert_rejected};
use crate::btf::{Btf, TypeId};
use crate::isa::text::parse_program;
use crate::isa::{Insn, InsnIdx};
use crate::program::{FuncInfo, MapDef, MapType};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, KernelVersion, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

/// BTF with `int` (1), `struct __sk_buff` (2), a pointer to it (3), `int (struct __sk_buff
/// *skb)` (4) and the global function `f` of that type (5).
fn btf() -> Btf {
    let strings = b"\0int\0__sk_buff\0skb\0f\0";
    #[rustfmt::skip]
    let words: [u32; 18] = [
        1, 1 << 24, 4, (1 << 24) | 32, // int
        5, 4 << 24, 192, // struct __sk_buff, no members listed
        0, 2 << 24, 2, // struct __sk_buff *
        0, (13 << 24) | 1, 1, 15, 3, // int (struct __sk_buff *skb)
        19, (12 << 24) | 1, 4, // global f
    ];
    Btf::parse(&crate::btf::test_blob(&words, strings)).expect("valid BTF")
}

/// Checks the packet, calls the global `f` (insn 12), then writes through the old pointer.
/// `f` calls the static `g` (insn 15), whose body is `g_body`.
fn program(g_body: &str) -> String {
    format!(
        "w6 = 0x2
         w2 = *(u32 *)(r1 + 0x50)
         w7 = *(u32 *)(r1 + 0x4c)
         r3 = r7
         r3 += 0x4
         if r3 > r2 goto +0x4
         w6 = 0x0
         call pc+0x4
         w1 = 0x2a
         *(u32 *)(r7 + 0x0) = w1
         w0 = w6
         exit
         call pc+0x2
         r0 = 0x0
         exit
         {g_body}
         exit"
    )
}

fn check(src: &str) -> VerifyResult {
    check_global_call_at(KernelVersion::LATEST, src, 12)
}

/// Verifies `src` under `kernel`'s rules, with the global function `f` at instruction `f_at`.
pub(super) fn check_global_call_at(kernel: KernelVersion, src: &str, f_at: u32) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("sched_cls").expect("rules");
    let btf = btf();
    let info = [FuncInfo {
        insn: InsnIdx(f_at),
        type_id: TypeId(5),
        name: "f".into(),
    }];
    let maps = [MapDef::plain("jmp", MapType::PROG_ARRAY, 4, 4, 1)];
    let mut input = Input::bare(&insns, &maps, rules, true);
    input.btf = Some(&btf);
    input.func_info = &info;
    let opts = Options {
        kernel,
        ..Options::default()
    };
    verify(&input, &opts)
}

#[test]
fn a_global_function_that_pulls_packet_data_invalidates_packet_pointers() {
    // g: bpf_skb_pull_data(skb, 0)
    let res = check(&program("r2 = 0x0\ncall 0x27"));
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "R7 invalid mem access 'scalar'",
    );
}

#[test]
fn a_global_function_that_tail_calls_invalidates_packet_pointers() {
    // g: bpf_tail_call(skb, &jmp, 0)
    let res = check(&program(
        "ld_pseudo r2, 0x5, 0x0\nr3 = 0x0\ncall 0xc\nr0 = 0x0",
    ));
    assert_rejected(
        &res,
        Code::InvalidMemAccess,
        "R7 invalid mem access 'scalar'",
    );
}

#[test]
fn a_global_function_that_leaves_packet_data_keeps_packet_pointers() {
    assert_accepted(&check(&program("r0 = 0x0")));
}
