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
