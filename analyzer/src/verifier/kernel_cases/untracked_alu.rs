//! ALU operations whose result bounds the kernel does not compute: division and modulo, and
//! shifts by anything but a constant below the width. bpfvet must forget as much as the kernel
//! does, or it accepts bounds checks the kernel cannot follow (verifier_bounds.c
//! `shift_with_oversized_count_operand`, verifier_value_illegal_alu.c
//! `flow_keys_illegal_variable_offset_alu`).

use super::{assert_accepted, assert_rejected, check};
use crate::program::{MapDef, MapType};
use crate::verifier::violation::Code;

fn hash() -> [MapDef; 1] {
    [MapDef::plain("hash", MapType::HASH, 8, 8, 1)]
}

/// Looks up key 0, shifts 1 by `count` with `shift`, keeps the bits of `mask` and reads the
/// value's byte at that index: safe only if the index is known to stay below 8.
fn shifted_index(shift: &str, count: &str, mask: &str) -> String {
    format!(
        "r1 = 0x0
         *(u64 *)(r10 - 0x8) = r1
         r2 = r10
         r2 += -0x8
         ld_pseudo r1, 0x5, 0x0
         call 0x1
         if r0 == 0x0 goto out
         r2 = {count}
         r1 = 0x1
         {shift}
         r1 &= {mask}
         r0 += r1
         w0 = *(u8 *)(r0 + 0x0)
     out:
         r0 = 0x0
         exit"
    )
}

#[test]
fn a_shift_by_the_width_or_more_gives_an_unknown_value() {
    // A 32-bit shift by 32 is undefined: the kernel forgets the whole register, so the masked
    // index may be 0xffff. (Its log goes on with "R0 max value is outside of the allowed
    // memory range".)
    let src = shifted_index("w1 <<= w2", "0x20", "0xffff");
    let res = check("socket_filter", &hash(), &src);
    assert_rejected(
        &res,
        Code::MapValueOutOfBounds,
        "invalid access to map value, value_size=8 off=65535 size=1\nR0 max value is outside of the allowed memory range",
    );
}

#[test]
fn a_shift_by_a_constant_below_the_width_is_tracked() {
    // 1 << 2 is 4: the index is known.
    let src = shifted_index("w1 <<= w2", "0x2", "0xffff");
    assert_accepted(&check("socket_filter", &hash(), &src));
}

#[test]
fn a_division_gives_an_unknown_value() {
    let src = "r6 = r1
        r7 = *(u64 *)(r6 + 0x90)
        r8 = 0x8
        r8 /= 0x1
        r8 &= 0x8
        r7 += r8
        r0 = *(u64 *)(r7 + 0x0)
        exit";
    let res = check("flow_dissector", &[], src);
    assert_rejected(
        &res,
        Code::PointerArithProhibited,
        "R7 pointer arithmetic on flow_keys prohibited",
    );
    // Without the division the offset is the constant 8, which flow keys allow.
    let res = check("flow_dissector", &[], &src.replace("r8 /= 0x1\n", ""));
    assert_accepted(&res);
}

/// `r1 = 4 | (random & 3)`, an index into an 8-byte map value: in bounds only if the kernel
/// computes the bounds of an OR with a variable source.
const OR_INDEX: &str = "r1 = 0x0
    *(u64 *)(r10 - 0x8) = r1
    r2 = r10
    r2 += -0x8
    ld_pseudo r1, 0x5, 0x0
    call 0x1
    if r0 == 0x0 goto out
    r6 = r0
    call 0x5
    r0 &= 0x3
    r1 = 0x4
    r1 |= r0
    r6 += r1
    w0 = *(u8 *)(r6 + 0x0)
out:
    r0 = 0x0
    exit";

fn check_at(
    kernel: crate::verifier::env::KernelVersion,
    src: &str,
) -> crate::verifier::VerifyResult {
    use crate::verifier::env::{Input, Options};
    let insns = crate::isa::text::parse_program(src).expect("parses");
    let rules = crate::rules::ProgTypeRules::by_name("socket_filter").expect("type");
    let opts = Options {
        kernel,
        ..Options::default()
    };
    crate::verifier::verify(&Input::bare(&insns, &hash(), rules, true), &opts)
}

#[test]
fn before_6_10_an_or_with_a_variable_source_gives_an_unknown_value() {
    // The 6.1 kernel forgets the register (its log shows `r1 |= r6 ; R1_w=scalar()` in
    // libbpf-tools' runqlat, which it loads because it never learns the bounds bpfvet would).
    use crate::verifier::env::KernelVersion;
    let old = check_at(KernelVersion::new(6, 1), OR_INDEX);
    assert_eq!(
        old.verdict,
        crate::verifier::Verdict::Reject,
        "{:?}",
        old.violations
    );
    assert_accepted(&check_at(KernelVersion::new(6, 12), OR_INDEX));
    // A constant source was always tracked.
    let constant = OR_INDEX
        .replace("r1 |= r0", "r1 |= 0x3")
        .replace("r6 += r1", "r1 &= 0x7\n    r6 += r1");
    assert_accepted(&check_at(KernelVersion::new(6, 1), &constant));
}
