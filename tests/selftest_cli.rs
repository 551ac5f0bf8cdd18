//! `bpfvet test` from the outside: a selftests object's tests pass, fail and report as the
//! kernel's test loader would, and bad input gets a clear message and exit 2, never a panic.

use std::path::PathBuf;
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

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn an_object_without_btf_is_refused_plainly() {
    let o = bpfvet(&["test", "corpus/c/realworld/samples/sockex1_ldabs.bpf.o"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no BTF"), "{}", text(&o));
}

#[test]
fn an_object_without_test_tags_is_refused_plainly() {
    let o = bpfvet(&["test", "corpus/c/xdp/xdp_fw_lpm.bpf.o"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("no test tags"), "{}", text(&o));
}

#[test]
fn a_file_that_is_no_object_is_refused_plainly() {
    let o = bpfvet(&["test", "README.md"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(!text(&o).contains("panicked"), "{}", text(&o));
}

/// `verifier_and.o` of the kernel's suite (read from `../shared`): its two failure tests
/// expect the kernel's message, which the live kernel prints for both; its success tests pass.
#[test]
fn a_kernel_selftests_object_reports_each_test() {
    let obj = root().join("../shared/kernel-selftests/verifier/verifier_and.o");
    if !obj.exists() && std::env::var("BPFVET_NO_SELFTESTS").as_deref() == Ok("1") {
        eprintln!(
            "\n!!! {} missing; BPFVET_NO_SELFTESTS=1: not checked\n",
            obj.display()
        );
        return;
    }
    let o = bpfvet(&[
        "test",
        "--format",
        "json",
        obj.to_str().expect("utf-8 path"),
    ]);
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let tests = doc["tests"].as_array().expect("tests");
    let find = |name: &str| {
        tests
            .iter()
            .find(|t| t["program"] == name)
            .unwrap_or_else(|| panic!("{name} in {doc}"))
    };
    // Expected to be accepted, and bpfvet does.
    let ok = find("known_subreg_with_unknown_reg");
    assert_eq!(ok["result"], "pass", "{ok}");
    assert_eq!(ok["verdict"], "accept", "{ok}");
    // Expected to be rejected with a message: bpfvet rejects it; whether its message is the
    // kernel's shows in `result`.
    let bad = find("invalid_and_of_negative_number");
    assert_eq!(bad["expected"], "reject", "{bad}");
    assert_eq!(bad["verdict"], "reject", "{bad}");
    assert_eq!(bad["msgs"], 1, "{bad}");
    let code = o.status.code();
    let failed = doc["failed"].as_u64().expect("failed count");
    assert_eq!(code, Some(if failed > 0 { 1 } else { 0 }), "{}", text(&o));
}
