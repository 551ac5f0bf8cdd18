//! The loader's reach, end to end through the CLI, on the small objects under
//! `analyzer/testdata/loader/` (built by its `build.sh` from the sources beside them).

use std::process::{Command, Output};

fn bpfvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(args)
        .output()
        .expect("run bpfvet")
}

fn obj(name: &str) -> String {
    format!("analyzer/testdata/loader/{name}")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn an_untyped_section_is_one_finding_and_the_others_are_checked() {
    let o = bpfvet(&["check", "--color", "never", &obj("unknown_section.o")]);
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(1),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("plain_xdp (xdp, section xdp): accepted"),
        "{out}"
    );
    // libbpf's `?` only defers loading: the type is the one after it.
    assert!(
        out.contains("on_request (raw_tracepoint, section ?raw_tp): accepted"),
        "{out}"
    );
    // The old samples/bpf loader typed any section starting with `xdp`.
    assert!(
        out.contains("samples_xdp (xdp, section xdp1): accepted"),
        "{out}"
    );
    assert!(
        out.contains("untyped (unknown, section prog): REJECTED, 1 finding"),
        "{out}"
    );
    assert!(out.contains("pass --type"), "{out}");
    assert!(out.contains("4 programs: 3 accepted, 1 rejected"), "{out}");
}

#[test]
fn type_given_on_the_command_line_types_the_untyped_section() {
    let o = bpfvet(&[
        "check",
        "--color",
        "never",
        "--program",
        "untyped",
        "--type",
        "sched_cls",
        &obj("unknown_section.o"),
    ]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("untyped (sched_cls, section prog): accepted"),
        "{out}"
    );
}

#[test]
fn text_only_object_is_listed_and_checked_as_socket_filters() {
    let o = bpfvet(&["info", &obj("text_only.o")]);
    let out = stdout(&o);
    assert!(o.status.success(), "{out}");
    assert!(
        out.contains(
            "filter_a (section .text, type none (checked as socket_filter unless --type))"
        ),
        "{out}"
    );
    assert!(out.contains("filter_b (section .text"), "{out}");
    // `twice` is static: a helper, not an entry point.
    assert!(!out.contains("    twice"), "{out}");

    let o = bpfvet(&["check", "--color", "never", &obj("text_only.o")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("filter_a (socket_filter, section .text): accepted"),
        "{out}"
    );
    assert!(
        out.contains("checked as socket_filter (pass --type to choose)"),
        "{out}"
    );

    let o = bpfvet(&["check", "--type", "sched_cls", &obj("text_only.o")]);
    let out = stdout(&o);
    assert!(
        out.contains("filter_b (sched_cls, section .text): accepted"),
        "{out}"
    );
    assert!(!out.contains("checked as socket_filter"), "{out}");
}

#[test]
fn program_may_name_a_text_function() {
    let path = obj("text_and_sections.o");
    let o = bpfvet(&["check", "--color", "never", "--program", "classify", &path]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(
        out.contains("classify (socket_filter, section .text): accepted"),
        "{out}"
    );

    let o = bpfvet(&["disasm", "--program", "classify", &path]);
    assert!(
        stdout(&o).contains("classify (section .text"),
        "{}",
        stdout(&o)
    );

    let o = bpfvet(&["check", "--program", "nope", &path]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("(programs: ingress; .text functions: classify)"),
        "{err}"
    );
}

/// A lookup in a legacy map-in-map yields the inner template's map, which can be looked up in
/// turn (without the template, the second lookup's map argument is a map value: rejected).
#[test]
fn legacy_map_in_map_lookups_yield_the_inner_map() {
    for f in [
        "legacy_samples_map_in_map.o",
        "legacy_iproute2_map_in_map.o",
    ] {
        let o = bpfvet(&["check", "--color", "never", &obj(f)]);
        let out = stdout(&o);
        assert_eq!(o.status.code(), Some(0), "{f}: {out}");
        assert!(out.contains("lookup_through ("), "{f}: {out}");
        assert!(out.contains("accepted"), "{f}: {out}");
    }
}

#[test]
fn unsized_legacy_maps_and_maps_slash_sections_load() {
    let path = obj("legacy_notype_maps.o");
    let o = bpfvet(&["info", &path]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.contains("map_a (array): key 4 B, value 4 B, 1 entries"),
        "{out}"
    );
    assert!(
        out.contains("map_b (array): key 4 B, value 8 B, 1 entries"),
        "{out}"
    );
    assert!(
        out.contains("map_c (hash): key 4 B, value 16 B, 64 entries"),
        "{out}"
    );
    // The program reads 8 bytes of map_b's value and 16 of map_c's: in bounds only if the
    // definitions were read at the right sizes.
    let o = bpfvet(&["check", "--color", "never", &path]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn gcc_object_with_two_programs_in_one_section() {
    let o = bpfvet(&["check", "--color", "never", &obj("gcc_two_programs.o")]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{out}");
    assert!(out.contains("first (xdp, section xdp): accepted"), "{out}");
    assert!(out.contains("second (xdp, section xdp): accepted"), "{out}");
}

#[test]
fn undecodable_slots_are_listed_and_only_their_program_is_rejected() {
    let path = obj("undecodable.o");
    let o = bpfvet(&["disasm", &path]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(out.contains("     0: r0 = 0x2\n     1: <unknown>  ; ff 00 00 00 00 00 00 00: unknown opcode 0xff\n     2: exit"), "{out}");
    assert!(
        out.contains("good (section xdp, type xdp, 2 insns)"),
        "{out}"
    );

    let o = bpfvet(&["check", "--color", "never", &path]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("bad (xdp, section xdp): REJECTED, 1 finding"),
        "{out}"
    );
    assert!(
        out.contains("error[invalid-insn]: instruction 1 does not decode: unknown opcode 0xff"),
        "{out}"
    );
    assert!(out.contains("good (xdp, section xdp): accepted"), "{out}");
}

#[test]
fn info_lists_a_program_that_does_not_decode() {
    let o = bpfvet(&["info", &obj("undecodable.o")]);
    let out = stdout(&o);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(
        out.contains("bad (section xdp, type xdp): 3 insns (3 linked); does not decode at insn 1"),
        "{out}"
    );
    assert!(
        out.contains("good (section xdp, type xdp): 2 insns (2 linked)\n"),
        "{out}"
    );
}

/// libbpf loads an object whose `.BTF` (or `.BTF.ext`) does not parse without it, when nothing
/// needs it: so does bpfvet, and says so.
#[test]
fn unparsable_btf_is_left_out_with_a_note() {
    let mut bytes = std::fs::read(obj("text_only.o")).unwrap();
    let magic = bytes.windows(2).position(|w| w == [0x9f, 0xeb]).unwrap();
    bytes[magic] = 0;
    let dir = std::env::temp_dir().join(format!("bpfvet-loader-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("bad_btf.o");
    std::fs::write(&path, &bytes).unwrap();
    let o = bpfvet(&["check", "--color", "never", path.to_str().unwrap()]);
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.contains("does not parse (bad magic"), "{out}");
    assert!(out.contains("ignored, as libbpf does"), "{out}");
    assert!(
        out.contains("filter_a (socket_filter, section .text): accepted"),
        "{out}"
    );
}

/// `explain`, `cfg` and `run` take an executable's embedded object as `check` names it
/// (`FILE!0xOFFSET`), or the file itself when it embeds only one.
#[test]
fn single_program_commands_open_embedded_objects() {
    let exe = "fuzz/seeds/load/rw-host-cut-then-whole";
    let info = stdout(&bpfvet(&["info", exe]));
    let named = info
        .lines()
        .find(|l| l.starts_with(&format!("{exe}!0x")))
        .unwrap_or_else(|| panic!("info names the embedded object:\n{info}"))
        .trim()
        .to_owned();
    for file in [named.as_str(), exe] {
        let o = bpfvet(&["explain", file, "--program", "xdp_prog"]);
        let out = stdout(&o);
        assert!(
            matches!(o.status.code(), Some(0 | 1)) && out.contains("xdp_prog"),
            "explain {file}: {out}{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let o = bpfvet(&["cfg", file, "--program", "xdp_prog"]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "cfg {file}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
    let o = bpfvet(&["explain", &format!("{exe}!0x10"), "--program", "xdp_prog"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("no BPF object is embedded at that offset") && err.contains(&named),
        "{err}"
    );
}

/// iproute2's `__section_tail(ID, KEY)` sections take the type of the object's other programs,
/// as tc loads them, and say so.
#[test]
fn iproute2_tail_sections_take_the_objects_program_type() {
    let o = bpfvet(&[
        "check",
        "--color",
        "never",
        &obj("iproute2_tail_sections.o"),
    ]);
    let out = stdout(&o);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{out}{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(
        out.contains("tail_drop (sched_cls, section 1/0): accepted")
            && out.contains("note: iproute2 tail-call sections ID/KEY get the type of the object's other programs, sched_cls"),
        "{out}"
    );
}
