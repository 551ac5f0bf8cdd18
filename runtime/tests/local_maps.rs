//! Cgroup storage and xskmaps as a test run sees them, through both engines. Cgroup storage
//! (`get_local_storage`, kernel/bpf/helpers.c and local_storage.c): the run's storage starts
//! zeroed and every call returns the same value, shared or per-CPU alike on one CPU. An
//! xskmap (kernel/bpf/xskmap.c) has no AF_XDP socket bound offline: a lookup is NULL and
//! `redirect_map` gives the flags' fallback action.

#[path = "support/agree.rs"]
mod agree;
mod support;

use agree::{call_with, program, run_both};
use bpfvet_runtime::maps::{MapDef, MapType};
use bpfvet_runtime::{Input, Machine};

/// Reads the storage (0 at first), stores 7, gets the storage again and reads it: returns
/// first * 100 + second.
const STORAGE: &str = "
    lddw %r1, 0x0ead0000
    mov %r2, 0
    call 81
    ldxw %r6, [%r0+0]
    stw [%r0+0], 7
    lddw %r1, 0x0ead0000
    mov %r2, 0
    call 81
    ldxw %r0, [%r0+0]
    mul %r6, 100
    add %r0, %r6
    exit
";

fn storage(t: MapType) -> impl Fn(&mut Machine) {
    move |m: &mut Machine| {
        m.create_map(MapDef::new(t, 16, 64, 0)).unwrap();
    }
}

#[test]
fn local_storage_starts_zeroed_and_is_the_same_on_every_call() {
    for t in [MapType::CgroupStorage, MapType::PercpuCgroupStorage] {
        let (r0, _) = run_both(&program(STORAGE, 1), &Input::None, storage(t));
        assert_eq!(r0, 7, "{t:?}");
    }
}

#[test]
fn cgroup_storage_definitions_are_checked() {
    let mut m = Machine::new();
    // max_entries must be 0; the key is a cgroup id (8 bytes) or id and attach type (16).
    assert!(m
        .create_map(MapDef::new(MapType::CgroupStorage, 16, 64, 1))
        .is_err());
    assert!(m
        .create_map(MapDef::new(MapType::CgroupStorage, 4, 64, 0))
        .is_err());
}

fn xskmap(m: &mut Machine) {
    m.create_map(MapDef::new(MapType::XskMap, 4, 4, 4)).unwrap();
}

#[test]
fn an_empty_xskmap_slot_is_null_and_redirects_to_the_fallback() {
    let lookup = "
    stw [%r10-4], 0
    lddw %r1, 0x0ead0000
    mov %r2, %r10
    add %r2, -4
    call 1
    exit
";
    let (r0, _) = run_both(&program(lookup, 1), &Input::xdp(&[0u8; 64]), xskmap);
    assert_eq!(r0, 0);
    // redirect_map(xsks, 0, XDP_PASS): no socket, so XDP_PASS (2), nothing recorded.
    let redirect = call_with(
        "    lddw %r1, 0x0ead0000\n    mov %r2, 0\n    mov %r3, 2",
        51,
    );
    let (r0, m) = run_both(&program(&redirect, 1), &Input::xdp(&[0u8; 64]), xskmap);
    assert_eq!(r0, 2);
    assert!(m.env.redirects.is_empty());
}
