//! `bpfvet compare` on real reports of corpus programs: unchanged reports pass, a program whose
//! processed instructions grew past the threshold fails the comparison and is named (an edited
//! report, and a real rebuild of a corpus program with a bigger loop bound), and bad input
//! exits 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn bpfvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("run bpfvet")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// `check --format json` of two corpus objects, written to `dir/base.json`.
fn base_report(dir: &Path) -> (PathBuf, serde_json::Value) {
    let o = bpfvet(&[
        "check",
        "--format",
        "json",
        "corpus/c/xdp/xdp_fw_lpm.bpf.o",
        "corpus/c/reject/mapval/missing_null_check.bpf.o",
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json report");
    let path = dir.join("base.json");
    std::fs::write(&path, &o.stdout).expect("write base");
    (path, doc)
}

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bpfvet-compare-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    dir
}

#[test]
fn an_unchanged_report_passes() {
    let dir = tmp("same");
    let (base, _) = base_report(&dir);
    let b = base.to_str().expect("utf-8");
    let o = bpfvet(&["compare", b, b, "--fail-on", "verdict,processed+10%"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    assert!(
        stdout(&o).contains("2 programs, 0 changed, 0 crossed"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn growth_past_the_threshold_fails_and_names_the_program() {
    let dir = tmp("grow");
    let (base, mut doc) = base_report(&dir);
    // The commit under test made xdp_firewall's analysis 25% longer.
    let stats = &mut doc["objects"][0]["programs"][0]["stats"];
    let before = stats["processed"].as_u64().expect("processed");
    stats["processed"] = serde_json::json!(before + before / 4);
    let new = dir.join("new.json");
    std::fs::write(&new, doc.to_string()).expect("write new");
    let (b, n) = (base.to_str().expect("utf-8"), new.to_str().expect("utf-8"));
    let o = bpfvet(&["compare", b, n, "--fail-on", "processed+10%"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    let text = stdout(&o);
    assert!(
        text.contains("corpus/c/xdp/xdp_fw_lpm.bpf.o xdp_firewall: accept, processed"),
        "{text}"
    );
    assert!(text.contains("FAIL processed+10%"), "{text}");
    // Under a looser threshold the same growth passes.
    let o = bpfvet(&["compare", b, n, "--fail-on", "processed+30%"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}

#[test]
fn bad_input_exits_2() {
    let o = bpfvet(&["compare", "README.md", "README.md"]);
    assert_eq!(o.status.code(), Some(2));
    let o = bpfvet(&["compare", "a.json", "b.json", "--fail-on", "cycles+1"]);
    assert_eq!(o.status.code(), Some(2));
}

/// A build directory holding `object` as `bounded_loops.bpf.o`, checked from `dir` as a CI job
/// would (`bpfvet check --format json build`), the report written to `dir/NAME.json`.
fn build_report(dir: &Path, object: &str, name: &str) -> PathBuf {
    let build = dir.join("build");
    std::fs::create_dir_all(&build).expect("build dir");
    std::fs::copy(root().join(object), build.join("bounded_loops.bpf.o")).expect("copy");
    let o = Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(dir)
        .args(["check", "--format", "json", "build"])
        .output()
        .expect("run bpfvet");
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
    let path = dir.join(format!("{name}.json"));
    std::fs::write(&path, &o.stdout).expect("write report");
    path
}

/// A real second build of a corpus program whose loop bound was doubled
/// (tests/data/grow/build.sh: loop_nested's outer loop 8 -> 16, no longer unrolled). The
/// kernel 6.18.44-fc-v1252 processes 100 instructions for the corpus build and 350 for this one
/// (`bpfvet kernel`), the other two programs 74 and 903 in both; bpfvet's counts are the same.
#[test]
fn a_rebuilt_program_whose_verification_grew_is_flagged() {
    // The committed variant is the corpus source with that one change.
    let corpus = std::fs::read_to_string(root().join("corpus/c/loops/bounded_loops.bpf.c"))
        .expect("corpus source");
    let grown = std::fs::read_to_string(root().join("tests/data/grow/bounded_loops.bpf.c"))
        .expect("variant source");
    assert_eq!(
        corpus.replace(
            "for (int i = 0; i < 8; i++)",
            "for (int i = 0; i < 16; i++)"
        ),
        grown,
        "rebuild the variant: bash tests/data/grow/build.sh"
    );
    let dir = tmp("rebuilt");
    let base = build_report(&dir, "corpus/c/loops/bounded_loops.bpf.o", "base");
    let new = build_report(&dir, "tests/data/grow/bounded_loops.bpf.o", "new");
    let (b, n) = (base.to_str().expect("utf-8"), new.to_str().expect("utf-8"));
    let o = bpfvet(&["compare", b, n, "--fail-on", "insns+10%"]);
    assert_eq!(o.status.code(), Some(1), "{}", stdout(&o));
    assert_eq!(
        stdout(&o),
        "build/bounded_loops.bpf.o loop_nested: accept, processed 100 -> 350 (+250.0%), \
states 3 -> 20 (+566.7%), peak 3 -> 20 (+566.7%), stack 8\n  FAIL insns+10%: 100 -> 350\n\
3 programs, 1 changed, 1 crossed a threshold; processed in total 1074 -> 1324 (+23.3%)\n"
    );
    // The unchanged baseline passes the same gate.
    let o = bpfvet(&["compare", b, b, "--fail-on", "insns+10%"]);
    assert_eq!(o.status.code(), Some(0), "{}", stdout(&o));
}
