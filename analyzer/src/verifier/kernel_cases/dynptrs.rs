//! Dynptrs through helpers (bpf_dynptr_from_mem, bpf_ringbuf_reserve_dynptr and friends): the
//! stack state the kernel keeps for them (`STACK_DYNPTR`), their reference, their slices. Each
//! message is the one Linux 6.18 printed for the same program in
//! `corpus/c/kfuncs/dynptrs.bpf.c`.

use super::{assert_accepted, assert_rejected, check, lookup_key0};
use crate::program::{MapDef, MapType};
use crate::verifier::violation::Code;

fn ringbuf() -> [MapDef; 1] {
    [MapDef::plain("events", MapType::RINGBUF, 0, 0, 4096)]
}

fn array() -> [MapDef; 1] {
    [MapDef::plain("blobs", MapType::ARRAY, 4, 16, 1)]
}

/// `bpf_ringbuf_reserve_dynptr(&events, 16, 0, fp-16)`.
const RESERVE: &str = "
    ld_pseudo r1, 0x5, 0x0
    r2 = 16
    r3 = 0
    r4 = r10
    r4 += -16
    call 198
";

/// `bpf_ringbuf_submit_dynptr(fp-16, 0)`.
const SUBMIT: &str = "
    r1 = r10
    r1 += -16
    r2 = 0
    call 199
";

/// A local dynptr at fp-24 over the 16-byte value of `blobs[0]` (kept in r6).
fn from_value() -> String {
    format!(
        "{}
         r1 = r6
         r2 = 16
         r3 = 0
         r4 = r10
         r4 += -24
         call 197",
        lookup_key0("r6")
    )
}

#[test]
fn a_reserved_record_written_through_its_slice_and_submitted_is_accepted() {
    let src = format!(
        "{RESERVE}
         r1 = r10
         r1 += -16
         r2 = 0
         r3 = 8
         call 203
         if r0 == 0 goto +2
         r1 = 42
         *(u64 *)(r0 + 0) = r1
         {SUBMIT}
         r0 = 0
         exit"
    );
    assert_accepted(&check("raw_tracepoint", &ringbuf(), &src));
}

#[test]
fn a_record_never_submitted_leaks_its_reference() {
    let src = format!("{RESERVE}\nr0 = 0\nexit");
    let res = check("raw_tracepoint", &ringbuf(), &src);
    assert_eq!(res.violations[0].code, Code::ReferenceLeak);
    assert!(res.violations[0]
        .kernel_message
        .starts_with("Unreleased reference id=1 alloc_insn=6"));
}

#[test]
fn a_store_over_a_reserved_record_is_refused() {
    let src = format!("{RESERVE}\nr1 = 0\n*(u64 *)(r10 - 16) = r1\n{SUBMIT}\nr0 = 0\nexit");
    assert_rejected(
        &check("raw_tracepoint", &ringbuf(), &src),
        Code::InvalidMemAccess,
        "cannot overwrite referenced dynptr",
    );
}

#[test]
fn a_record_submitted_on_one_path_only_is_not_pruned_into_the_other() {
    // Reserve only when r6 != 0, then submit unconditionally: the path without a dynptr
    // reaches the submit with uninitialised stack, which must not be pruned against the path
    // with one.
    let src = format!(
        "r6 = *(u64 *)(r1 + 0)
         if r6 == 0 goto +7
         {RESERVE}
         {SUBMIT}
         r0 = 0
         exit"
    );
    let res = check("raw_tracepoint", &ringbuf(), &src);
    assert_rejected(
        &res,
        Code::InvalidRelease,
        "arg 1 is an unacquired reference",
    );
}

#[test]
fn reading_a_dynptr_never_created_is_the_kernels_error() {
    let src = "r1 = r10
               r1 += -8
               r2 = 8
               r3 = r10
               r3 += -24
               r4 = 0
               r5 = 0
               call 201
               exit";
    assert_rejected(
        &check("raw_tracepoint", &[], src),
        Code::HelperArgType,
        "Expected an initialized dynptr as arg #2",
    );
}

#[test]
fn a_local_dynptr_may_not_be_discarded() {
    let src = format!(
        "{}
         r1 = r10
         r1 += -24
         r2 = 0
         call 200
         r0 = 0
         exit",
        from_value()
    );
    assert_rejected(
        &check("raw_tracepoint", &array(), &src),
        Code::InvalidRelease,
        "arg 1 is an unacquired reference",
    );
}

#[test]
fn a_local_dynptr_over_the_stack_is_refused() {
    let src = "r1 = r10
               r1 += -40
               r2 = 16
               r3 = 0
               r4 = r10
               r4 += -16
               call 197
               r0 = 0
               exit";
    assert_rejected(
        &check("raw_tracepoint", &[], src),
        Code::HelperArgType,
        "Unsupported reg type fp for bpf_dynptr_from_mem data",
    );
}

#[test]
fn the_bytes_of_a_dynptr_are_not_plain_stack() {
    let src = format!("{}\nr0 = *(u32 *)(r10 - 24)\nexit", from_value());
    assert_rejected(
        &check("raw_tracepoint", &array(), &src),
        Code::InvalidMemAccess,
        "invalid read from stack off -24+0 size 4",
    );
}

#[test]
fn a_slice_dies_when_its_dynptr_is_overwritten() {
    let src = format!(
        "{}
         r1 = r10
         r1 += -24
         r2 = 0
         r3 = 4
         call 203
         if r0 == 0 goto +3
         r1 = 0
         *(u64 *)(r10 - 24) = r1
         r0 = *(u32 *)(r0 + 0)
         exit",
        from_value()
    );
    assert_rejected(
        &check("raw_tracepoint", &array(), &src),
        Code::InvalidMemAccess,
        "R0 invalid mem access 'scalar'",
    );
}

#[test]
fn a_slice_of_a_live_local_dynptr_is_usable() {
    let src = format!(
        "{}
         r1 = r10
         r1 += -24
         r2 = 0
         r3 = 4
         call 203
         if r0 == 0 goto +1
         r0 = *(u32 *)(r0 + 0)
         exit",
        from_value()
    );
    assert_accepted(&check("raw_tracepoint", &array(), &src));
}
