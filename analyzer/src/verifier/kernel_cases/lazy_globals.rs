//! A global function is verified only once a call to it was explored (Linux 6.8, "validate
//! global subprogs lazily": `do_check_subprogs` skips a global function no verified code
//! called). libxdp's `xdp-dispatcher.o` is the real case: its ten calls sit behind a count
//! read from a frozen `.rodata` that holds 0, and the live 6.18 kernel accepts it in 6
//! processed instructions, never looking at the called functions. Here the global `f`
//! dereferences a null pointer; the kernel's rule decides by hand whether it is looked at.

use super::{assert_accepted, assert_rejected};
use crate::btf::{Btf, TypeId};
use crate::isa::text::parse_program;
use crate::isa::{Insn, InsnIdx};
use crate::program::FuncInfo;
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

/// Calls the global `f` (insn 5) only when `r2`, set to `guard`, is not 0.
fn program(guard: u32) -> String {
    format!(
        "r2 = {guard}
         if r2 == 0x0 goto +0x1
         call pc+0x2
         r0 = 0x0
         exit
         r1 = 0x0
         r0 = *(u64 *)(r1 + 0x0)
         exit"
    )
}

fn check(src: &str, kernel: KernelVersion) -> VerifyResult {
    let insns: Vec<Insn> = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("sched_cls").expect("rules");
    let btf = btf();
    let info = [FuncInfo {
        insn: InsnIdx(5),
        type_id: TypeId(5),
        name: "f".into(),
    }];
    let mut input = Input::bare(&insns, &[], rules, true);
    input.btf = Some(&btf);
    input.func_info = &info;
    let opts = Options {
        kernel,
        ..Options::default()
    };
    verify(&input, &opts)
}

#[test]
fn a_global_function_no_explored_path_calls_is_not_verified() {
    let res = check(&program(0), Options::default().kernel);
    assert_accepted(&res);
    // The entry's path only (`r2 = 0`, the decided branch, `r0 = 0`, `exit`): `f` adds none.
    assert_eq!(res.stats.processed, 4);
}

#[test]
fn a_called_global_function_is_verified() {
    assert_rejected(
        &check(&program(1), Options::default().kernel),
        Code::InvalidMemAccess,
        "R1 invalid mem access 'scalar'",
    );
}

#[test]
fn before_linux_6_8_every_global_function_is_verified() {
    assert_rejected(
        &check(&program(0), KernelVersion::new(6, 1)),
        Code::InvalidMemAccess,
        "R1 invalid mem access 'scalar'",
    );
}
