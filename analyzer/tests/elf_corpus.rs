//! Loads every compiled object of the corpus (`corpus/c/**/*.bpf.o`) and checks the invariants
//! every loaded object must satisfy, whatever the program does; then checks that truncated and
//! corrupted copies never make the loader panic.

use bpfvet_analyzer::elf::{load, LoadErrorKind};
use bpfvet_analyzer::isa::{CallTarget, Insn, InsnIdx, PseudoSrc};
use bpfvet_analyzer::program::{MapKind, Object, Program, RelocTarget};
use std::path::{Path, PathBuf};

fn corpus_objects() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../corpus/c");
    let mut res = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in rd.flatten() {
            let p = entry.path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|e| e == "o") {
                res.push(p);
            }
        }
    }
    res.sort();
    res
}

/// The invariants `load` promises (see `analyzer/src/program.rs`).
fn check_program(obj: &Object, p: &Program, what: &str) {
    let insns = p.insns();
    let n = insns.len();
    if n == 0 {
        // A zero-size function symbol: the verifier reports it as `empty-program`.
        assert_eq!(p.n_insns_own(), 0, "{what}: empty but owns code");
        return;
    }
    assert!(
        p.n_insns_own() <= n,
        "{what}: own code longer than the program"
    );
    assert!(
        !matches!(insns[0], Insn::LdImm64Tail),
        "{what}: starts with a lddw tail"
    );
    for (i, insn) in insns.iter().enumerate() {
        match *insn {
            Insn::LdImm64 { .. } => {
                assert!(
                    matches!(insns.get(i + 1), Some(Insn::LdImm64Tail)),
                    "{what}: insn {i}: lddw without its tail"
                );
            }
            Insn::LdImm64Tail => {
                assert!(
                    i > 0 && matches!(insns[i - 1], Insn::LdImm64 { .. }),
                    "{what}: insn {i}: stray lddw tail"
                );
            }
            _ => {}
        }
        let target_of = |imm: i32| i64::try_from(i).unwrap() + i64::from(imm) + 1;
        match *insn {
            Insn::Call(CallTarget::Local(imm))
            | Insn::LdImm64 {
                src: PseudoSrc::Func,
                imm,
                ..
            } => {
                let t = target_of(imm);
                if !(0..n as i64).contains(&t) {
                    // A call to no function dangles outside the program, for the verifier's
                    // `call-out-of-range`; it must never land inside some other function.
                    continue;
                }
                let t = InsnIdx(t as u32);
                assert!(
                    p.subprogs().iter().any(|s| s.start == t) || t.0 < p.n_insns_own() as u32,
                    "{what}: insn {i}: call target {t} is not a subprogram start"
                );
            }
            Insn::LdImm64 {
                src: PseudoSrc::MapIdx,
                imm,
                ..
            } => {
                let m = obj.maps().get(imm as usize);
                assert!(
                    m.is_some(),
                    "{what}: insn {i}: map index {imm} out of range"
                );
                assert!(
                    matches!(p.reloc_at(InsnIdx(i as u32)), Some(RelocTarget::Map { .. })),
                    "{what}: insn {i}: map load without a reloc record"
                );
            }
            Insn::LdImm64 {
                src: PseudoSrc::MapIdxValue,
                imm,
                next_imm,
                ..
            } => {
                let m = obj.maps().get(imm as usize);
                assert!(
                    m.is_some(),
                    "{what}: insn {i}: map index {imm} out of range"
                );
                assert!(
                    (next_imm as u32) <= m.unwrap().value_size,
                    "{what}: insn {i}: value offset past the map value"
                );
            }
            Insn::LdImm64 {
                src: PseudoSrc::MapFd | PseudoSrc::MapValue,
                ..
            } => {
                // Only hand-written code carries raw fds: the loader never produces them.
                let r = p.reloc_at(InsnIdx(i as u32));
                assert!(r.is_none(), "{what}: insn {i}: relocated to a map fd");
            }
            _ => {}
        }
    }
    // Subprograms: the first is the program, they tile the program exactly, in order.
    let subs = p.subprogs();
    assert_eq!(subs[0].start, InsnIdx(0), "{what}");
    assert_eq!(subs[0].len as usize, p.n_insns_own(), "{what}");
    let mut end = 0u32;
    for s in subs {
        assert_eq!(
            s.start.0, end,
            "{what}: subprogram {} does not follow the previous one",
            s.name
        );
        assert!(s.len > 0, "{what}: empty subprogram {}", s.name);
        end = s.start.0 + s.len;
    }
    assert_eq!(
        end as usize, n,
        "{what}: subprograms do not cover the program"
    );
    // Sorted, in-range side tables.
    let sorted = |v: &[u32]| v.windows(2).all(|w| w[0] <= w[1]);
    let rel: Vec<u32> = p.relocs().iter().map(|r| r.insn.0).collect();
    assert!(
        sorted(&rel) && rel.iter().all(|&i| (i as usize) < n),
        "{what}: relocs"
    );
    let li: Vec<u32> = p.line_info().iter().map(|r| r.insn.0).collect();
    assert!(
        sorted(&li) && li.iter().all(|&i| (i as usize) < n),
        "{what}: line_info"
    );
    let fi: Vec<u32> = p.func_info().iter().map(|r| r.insn.0).collect();
    assert!(
        sorted(&fi) && fi.iter().all(|&i| (i as usize) < n),
        "{what}: func_info"
    );
    assert!(
        p.core_relos().iter().all(|r| (r.insn.0 as usize) < n),
        "{what}: core relos"
    );
    if obj.has_btf_ext() {
        // clang emits line and func info for every function it compiles with -g.
        assert!(
            !p.line_info().is_empty(),
            "{what}: .BTF.ext present but no line info"
        );
        assert_eq!(
            p.line_info()[0].insn,
            InsnIdx(0),
            "{what}: no line info at the entry"
        );
        let starts: Vec<u32> = subs.iter().map(|s| s.start.0).collect();
        assert_eq!(
            fi, starts,
            "{what}: func_info does not match the subprograms"
        );
    }
    assert_eq!(p.license(), obj.license());
}

#[test]
fn every_corpus_object_loads_and_satisfies_the_invariants() {
    let objs = corpus_objects();
    let mut n_programs = 0;
    let mut n_refused = 0;
    let mut failures = Vec::new();
    for path in &objs {
        let bytes = std::fs::read(path).unwrap();
        let what = path.display().to_string();
        match load(&bytes) {
            Ok(obj) => {
                assert!(!obj.programs().is_empty(), "{what}: no programs");
                for p in obj.programs() {
                    check_program(&obj, p, &format!("{what}: {}", p.name()));
                    n_programs += 1;
                }
                for m in obj.maps() {
                    if let MapKind::GlobalData {
                        init: Some(init), ..
                    } = &m.kind
                    {
                        assert_eq!(init.len(), m.value_size as usize, "{what}: map {}", m.name);
                    }
                }
                let core: usize = obj.programs().iter().map(|p| p.core_relos().len()).sum();
                assert!(
                    core >= obj.n_core_relos().min(1) || obj.n_core_relos() == 0,
                    "{what}: core relos lost"
                );
            }
            // Hand-written reject cases may hold code the kernel refuses before verifying
            // (an unknown opcode, a call outside the program): those are load errors here.
            Err(e)
                if what.contains("/reject/")
                    && matches!(
                        e.kind(),
                        LoadErrorKind::Decode { .. } | LoadErrorKind::BadCallTarget { .. }
                    ) =>
            {
                n_refused += 1;
            }
            Err(e) => failures.push(format!("{what}: {e}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} objects failed to load:\n{}",
        failures.len(),
        objs.len(),
        failures.join("\n")
    );
    eprintln!(
        "loaded {} objects, {n_programs} programs; {n_refused} reject cases refused at load",
        objs.len()
    );
}

/// Truncation at every 97th byte and byte flips: `load` returns, `Ok` or `Err`, never panics.
#[test]
fn truncated_and_corrupted_objects_never_panic() {
    let objs = corpus_objects();
    let mut n_runs = 0u64;
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for path in &objs {
        let bytes = std::fs::read(path).unwrap();
        for cut in (0..bytes.len()).step_by(97) {
            let _ = load(&bytes[..cut]);
            n_runs += 1;
        }
        for off in (0..bytes.len()).step_by(97) {
            let mut b = bytes.clone();
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            b[off] ^= (seed as u8) | 1;
            let _ = load(&b);
            // Also a 32-bit field set to all ones, which hits counts and sizes.
            let mut b = bytes.clone();
            for k in off..(off + 4).min(b.len()) {
                b[k] = 0xff;
            }
            let _ = load(&b);
            n_runs += 2;
        }
    }
    eprintln!("{n_runs} corrupted loads");
}

/// Loads `corpus/c/<rel>.bpf.o`, or `None` when the corpus no longer has it.
fn corpus_object(rel: &str) -> Option<Object> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../corpus/c/{rel}.bpf.o"));
    let bytes = std::fs::read(path).ok()?;
    Some(load(&bytes).unwrap_or_else(|e| panic!("{rel}: {e}")))
}

fn subprog_names(p: &Program) -> Vec<&str> {
    p.subprogs().iter().map(|s| s.name.as_str()).collect()
}

/// Specific facts about a few corpus objects that exercise each loader feature.
#[test]
fn corpus_objects_have_the_expected_shape() {
    if let Some(obj) = corpus_object("maps/map_in_map") {
        let outer = obj
            .maps()
            .iter()
            .find(|m| m.map_type.is_map_in_map())
            .expect("a map-in-map");
        let inner = outer.inner.as_ref().expect("inner map definition");
        assert!(inner.max_entries > 0 && inner.key_size > 0);
        assert_eq!(outer.value_size, 4, "map-in-map values are map ids");
    }
    if let Some(obj) = corpus_object("globals/custom_sections") {
        let names: Vec<&str> = obj.maps().iter().map(|m| m.name.as_str()).collect();
        assert!(names.iter().any(|n| n.starts_with(".rodata.")), "{names:?}");
        assert!(names.iter().any(|n| n.starts_with(".data.")), "{names:?}");
        for m in obj.maps() {
            let MapKind::GlobalData { read_only, .. } = m.kind else {
                continue;
            };
            assert_eq!(read_only, m.name.starts_with(".rodata"), "{}", m.name);
        }
    }
    if let Some(obj) = corpus_object("subprogs/shared_static_subprogs") {
        // Each program gets its own copy of the static functions it uses, placed once each.
        assert!(obj.programs().len() >= 2);
        for p in obj.programs() {
            let names = subprog_names(p);
            let mut dedup = names.clone();
            dedup.sort_unstable();
            dedup.dedup();
            assert_eq!(dedup.len(), names.len(), "{}: {names:?}", p.name());
            assert!(names.len() > 1, "{}: links no subprogram", p.name());
        }
    }
    if let Some(obj) = corpus_object("subprogs/map_for_each") {
        // The callback is reached through a `lddw` of its address.
        let p = &obj.programs()[0];
        let cb = p.insns().iter().any(|i| {
            matches!(
                i,
                Insn::LdImm64 {
                    src: PseudoSrc::Func,
                    ..
                }
            )
        });
        assert!(cb && p.subprogs().len() > 1);
    }
    if let Some(obj) = corpus_object("core/core_field_checks") {
        assert!(obj.n_core_relos() > 0);
        let p = &obj.programs()[0];
        assert_eq!(p.core_relos().len(), obj.n_core_relos());
        assert!(p.core_relos().iter().all(|r| !r.access.is_empty()));
    }
    if let Some(obj) = corpus_object("legacy/legacy_two_maps_kprobe") {
        assert!(obj.maps().len() >= 2);
        assert!(obj.maps().iter().all(|m| m.kind == MapKind::Legacy));
    }
}
