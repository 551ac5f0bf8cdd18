//! The rules of unprivileged loads (no CAP_BPF/CAP_PERFMON, Spectre mitigations on), on
//! programs that a privileged loader may load: a spilled scalar is not kept (the slot holds
//! plain bytes, zero bytes for a zero), a register offset with mixed-sign bounds cannot be
//! masked, and a context pointer compared with zero is a pointer comparison. Each verdict and
//! message is the live kernel's (6.18) for the same instructions loaded as socket filters, as
//! root and as uid 65534 (`bpfvet kernel [--unprivileged]`).

use super::{assert_accepted, assert_rejected, check, lookup_key0};
use crate::isa::text::parse_program;
use crate::program::{MapDef, MapType};
use crate::rules::ProgTypeRules;
use crate::verifier::env::{Input, Options};
use crate::verifier::violation::Code;
use crate::verifier::{verify, VerifyResult};

fn arr() -> Vec<MapDef> {
    vec![MapDef::plain("arr", MapType::ARRAY, 4, 8, 1)]
}

fn unprivileged(src: &str) -> VerifyResult {
    let insns = parse_program(src).expect("parses");
    let rules = ProgTypeRules::by_name("socket_filter").expect("type");
    let opts = Options {
        privileged: false,
        ..Options::default()
    };
    verify(&Input::bare(&insns, &arr(), rules, true), &opts)
}

/// A value in map 0, then `tail` with the value pointer in r0.
fn on_value(tail: &str) -> String {
    format!("{}\n{tail}", lookup_key0("r0"))
}

#[test]
fn a_spilled_constant_is_forgotten_unprivileged() {
    let src = on_value(
        "r1 = 0x2
         *(u64 *)(r10 - 0x10) = r1
         r1 = *(u64 *)(r10 - 0x10)
         r0 += r1
         w0 = *(u8 *)(r0 + 0x0)
         exit",
    );
    assert_accepted(&check("socket_filter", &arr(), &src));
    assert_rejected(
        &unprivileged(&src),
        Code::UnboundedVarOff,
        "math between map_value pointer and register with unbounded min value is not allowed",
    );
}

#[test]
fn a_spilled_zero_reads_back_as_zero_unprivileged() {
    let src = on_value(
        "r1 = 0x0
         *(u64 *)(r10 - 0x10) = r1
         r1 = *(u64 *)(r10 - 0x10)
         r0 += r1
         w0 = *(u8 *)(r0 + 0x0)
         exit",
    );
    assert_accepted(&check("socket_filter", &arr(), &src));
    assert_accepted(&unprivileged(&src));
}

#[test]
fn an_offset_of_either_sign_cannot_be_masked() {
    let src = on_value(
        "w1 = *(u8 *)(r0 + 0x0)
         r1 += -0x2
         r0 += r1
         r0 = 0x0
         exit",
    );
    assert_accepted(&check("socket_filter", &arr(), &src));
    assert_rejected(
        &unprivileged(&src),
        Code::PointerArithProhibited,
        "R1 has unknown scalar with mixed signed bounds, pointer arithmetic with it prohibited for !root",
    );
}

#[test]
fn a_bounded_offset_inside_the_value_is_masked() {
    let src = on_value(
        "w1 = *(u8 *)(r0 + 0x0)
         r1 &= 0x7
         r0 += r1
         w0 = *(u8 *)(r0 + 0x0)
         exit",
    );
    assert_accepted(&check("socket_filter", &arr(), &src));
    assert_accepted(&unprivileged(&src));
}

#[test]
fn the_context_compared_with_zero_is_a_pointer_comparison() {
    let src = "if r1 == 0x0 goto +0x0
        r0 = 0x0
        exit";
    assert_accepted(&check("socket_filter", &arr(), src));
    assert_rejected(
        &unprivileged(src),
        Code::PointerLeak,
        "R1 pointer comparison prohibited",
    );
}

/// `verifier_bounds_deduction.c` `deducing_bounds_from_const_1`: a context pointer subtracted
/// from a scalar. Privileged, the operator's own check names it; unprivileged, the Spectre
/// sanitation comes first and finds no limit for a context pointer (the live 6.18 kernel's
/// lines, as root and as uid 65534).
#[test]
fn a_pointer_subtracted_from_a_scalar_is_sanitized_first_unprivileged() {
    let src = "r0 = 0x1
        if r0 s>= 0x1 goto +0x0
        r0 -= r1
        exit";
    assert_rejected(
        &check("socket_filter", &arr(), src),
        Code::PointerPointerArith,
        "R0 tried to subtract pointer from scalar",
    );
    assert_rejected(
        &unprivileged(src),
        Code::PointerArithProhibited,
        "R0 has pointer with unsupported alu operation, pointer arithmetic with it prohibited for !root",
    );
}

/// `verifier_leak_ptr.c` `leak_pointer_into_ctx_1`: an atomic add of a map pointer into the
/// context. Unprivileged, the leak is found before the context is (the live 6.18 kernel's
/// lines, as root and as uid 65534).
#[test]
fn an_atomic_leak_is_found_before_the_memory_kind() {
    let src = "r0 = 0x0
        *(u64 *)(r1 + 0x30) = r0
        ld_pseudo r2, 0x5, 0x0
        lock *(u64 *)(r1 + 0x30) += r2
        exit";
    assert_rejected(
        &check("socket_filter", &arr(), src),
        Code::InvalidMemAccess,
        "BPF_ATOMIC stores into R1 ctx is not allowed",
    );
    assert_rejected(
        &unprivileged(src),
        Code::PointerLeak,
        "R2 leaks addr into mem",
    );
}

/// `verifier_map_ptr.c` `bpf_map_ptr_write_rejected`: a stack pointer stored through a map
/// pointer. Unprivileged, the map's structure is refused before the stored pointer is seen as
/// a leak (the live 6.18 kernel's line as uid 65534; as root it is "only read from bpf_array
/// is supported").
#[test]
fn a_store_through_a_map_pointer_is_refused_for_the_map_first() {
    let src = "r2 = r10
        r2 += -0x8
        ld_pseudo r1, 0x5, 0x0
        *(u64 *)(r1 + 0x0) = r2
        r0 = 0x0
        exit";
    assert_rejected(
        &unprivileged(src),
        Code::PointerLeak,
        "'struct bpf_array' access is allowed only to CAP_PERFMON and CAP_SYS_ADMIN",
    );
}

/// `verifier_raw_stack.c` `stack_no_skb_load_bytes`, `verifier_basic_stack.c`
/// `uninitialized_stack1`: unprivileged, a helper may not read below the stack written so far;
/// the kernel says so as a bounds fault (its lines as uid 65534, there for 8-byte keys; `arr`'s
/// key is 4 bytes).
#[test]
fn an_unprivileged_read_below_the_written_stack_is_out_of_bounds() {
    let src = "r2 = r10
        r2 += -0x8
        ld_pseudo r1, 0x5, 0x0
        call 0x1
        r0 = 0x0
        exit";
    assert_rejected(
        &unprivileged(src),
        Code::UninitStackRead,
        "invalid read from stack R2 off=-8 size=4",
    );
}
