//! A program loaded without BTF function info (GCC 12's BPF backend writes no `.BTF.ext` func
//! info) may not take a callback's address ("missing btf func_info"), nor tail-call or use
//! `ld_abs` in a subprogram ("... is not allowed in subprogs without BTF"): nothing tells the
//! kernel what such a function returns. The live 6.18 kernel rejects the gcc-bpf builds of the
//! corpus's bpf_loop, for_each_map_elem and tail-call-from-subprogram programs with these
//! messages (snapshots/realworld/table.txt); the same programs built by clang -g load.

use super::{assert_accepted, assert_rejected};
use crate::isa::text::parse_program;
use crate::program::{MapDef, MapType};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

fn run(src: &str, maps: &[MapDef], with_func_info: bool) -> VerifyResult {
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("xdp").expect("type");
    let mut input = Input::bare(&insns, maps, rules, true);
    input.btf_func_info = with_func_info;
    verify(&input, &Options::default())
}

/// `bpf_loop(1, cb, NULL, 0)` with a callback returning 0; the lddw's function offset counts
/// from the lddw (index 1) plus one to the callback (index 8).
const LOOP: &str = "r1 = 0x1
    ld_pseudo r2, 0x4, 0x6
    r3 = 0x0
    r4 = 0x0
    call 0xb5
    r0 = 0x2
    exit
    r0 = 0x0
    exit";

#[test]
fn a_callback_needs_btf_func_info() {
    assert_rejected(
        &run(LOOP, &[], false),
        Code::InvalidLdImm64,
        "missing btf func_info",
    );
    assert_accepted(&run(LOOP, &[], true));
}

#[test]
fn a_tail_call_in_a_subprogram_needs_btf_func_info() {
    let src = "r6 = r1
        call pc+0x2
        r0 = 0x2
        exit
        ld_pseudo r2, 0x5, 0x0
        r3 = 0x0
        call 0xc
        r0 = 0x0
        exit";
    let maps = [MapDef::plain("jmp", MapType::PROG_ARRAY, 4, 4, 4)];
    assert_rejected(
        &run(src, &maps, false),
        Code::TailCallMisuse,
        "tail_call is not allowed in subprogs without BTF",
    );
    assert_accepted(&run(src, &maps, true));
}
