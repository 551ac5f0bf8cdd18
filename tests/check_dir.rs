//! `bpfvet check DIR`: the directory walk (BPF objects only, in path order, others skipped with
//! a note) and the progress bar, which is drawn on a terminal and leaves no byte in piped output.

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

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A tree of two corpus objects, one nested, beside a C source, a host ELF file and a hidden
/// directory holding a BPF object that must not be walked.
fn tree(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bpfvet-dir-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(d.join("net/deeper")).expect("dirs");
    std::fs::create_dir_all(d.join(".cache")).expect("dirs");
    let corpus = root().join("corpus/c");
    let copy = |from: &str, to: &Path| std::fs::copy(corpus.join(from), to).expect("copy");
    copy("xdp/xdp_pass.bpf.o", &d.join("b_pass.bpf.o"));
    copy(
        "reject/mapval/missing_null_check.bpf.o",
        &d.join("net/deeper/a_null.bpf.o"),
    );
    copy("xdp/xdp_pass.bpf.c", &d.join("b_pass.bpf.c"));
    copy("xdp/xdp_pass.bpf.o", &d.join(".cache/stale.bpf.o"));
    std::fs::copy(env!("CARGO_BIN_EXE_bpfvet"), d.join("host-tool")).expect("copy host ELF");
    d
}

#[test]
fn a_directory_is_walked_for_bpf_objects_only() {
    let d = tree("walk");
    let ds = d.to_str().expect("utf-8");
    let o = bpfvet(&["check", "--format", "json", ds]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let doc: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let paths: Vec<&str> = doc["objects"]
        .as_array()
        .expect("objects")
        .iter()
        .map(|o| o["path"].as_str().expect("path"))
        .collect();
    assert_eq!(
        paths,
        [
            format!("{ds}/b_pass.bpf.o"),
            format!("{ds}/net/deeper/a_null.bpf.o")
        ]
    );
    let o = bpfvet(&["check", "--color", "never", ds]);
    let out = text(&o.stdout);
    assert!(out.contains("2 programs: 1 accepted, 1 rejected"), "{out}");
    assert!(
        out.ends_with(
            "note: 2 files in the directories walked are not BPF objects and were skipped\n"
        ),
        "{out}"
    );
    // A file named on the command line is taken as it is: a non-object is an error.
    let src = d.join("b_pass.bpf.c");
    let o = bpfvet(&["check", src.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    // An empty directory checks nothing, which must not pass.
    let empty = d.join("net/empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let o = bpfvet(&["check", empty.to_str().expect("utf-8")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no BPF object"),
        "{}",
        text(&o.stderr)
    );
}

/// Bytes a progress bar draws with: carriage returns and ANSI escape sequences.
fn has_bar_bytes(b: &[u8]) -> bool {
    b.contains(&b'\r') || b.contains(&0x1b)
}

#[test]
fn piped_output_carries_no_progress_bar() {
    let o = bpfvet(&["check", "--color", "never", "corpus/c/tc", "corpus/c/xdp"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(o.stderr.is_empty(), "stderr: {:?}", text(&o.stderr));
    assert!(!has_bar_bytes(&o.stdout), "{:?}", text(&o.stdout));
}

#[test]
fn a_terminal_shows_the_bar_and_keeps_stdout_clean() {
    // `script` (util-linux) runs the command on a pseudo-terminal; stdout goes to a file, so
    // only stderr reaches the terminal.
    let d = std::env::temp_dir().join(format!("bpfvet-tty-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp");
    let out = d.join("stdout.txt");
    let cmd = format!(
        "'{}' check --color never corpus/c/tc corpus/c/xdp > '{}'",
        env!("CARGO_BIN_EXE_bpfvet"),
        out.display()
    );
    let o = Command::new("script")
        .current_dir(root())
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("run `script` (util-linux)");
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let tty = text(&o.stdout);
    assert!(
        tty.contains("checking ["),
        "no bar on the terminal: {tty:?}"
    );
    assert!(tty.contains("/20"), "{tty:?}");
    let stdout = std::fs::read(&out).expect("stdout file");
    assert!(!has_bar_bytes(&stdout), "{:?}", text(&stdout));
    assert!(text(&stdout).contains("programs: "), "{}", text(&stdout));
}

#[test]
fn a_human_copy_written_to_a_file_has_no_colour_codes_even_from_a_terminal() {
    let d = std::env::temp_dir().join(format!("bpfvet-tty-copy-{}", std::process::id()));
    std::fs::create_dir_all(&d).expect("tmp");
    let copy = d.join("report.txt");
    let cmd = format!(
        "'{}' check --write human='{}' corpus/c/reject/mapval/missing_null_check.bpf.o",
        env!("CARGO_BIN_EXE_bpfvet"),
        copy.display()
    );
    let o = Command::new("script")
        .current_dir(root())
        .args(["-qec", &cmd, "/dev/null"])
        .output()
        .expect("run `script` (util-linux)");
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
    let written = std::fs::read(&copy).expect("the copy");
    assert!(!has_bar_bytes(&written), "{:?}", text(&written));
    assert!(
        text(&written).contains("error[null-deref]"),
        "{}",
        text(&written)
    );
}
