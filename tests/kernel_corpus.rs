//! The live kernel against the corpus: every program listed in `corpus/manifest.json` is loaded
//! into the running kernel and its verdict and reason line must equal the stated expectation,
//! so no expectation in the corpus is ever a guess.
//! A second test renders `bpfvet kernel --format summary` over every corpus object and compares
//! it with `snapshots/kernel/corpus.txt`, so a kernel (or libbpf) change shows up as a diff.
//!
//! Where `bpf()` is unavailable both tests fail, saying why, unless `BPFVET_NO_KERNEL=1`; then
//! they print a loud notice (past the test harness's output capture) and pass.
//! `BPFVET_BLESS=1` rewrites the snapshot instead of comparing.
//! `BPFVET_CORPUS_MANIFEST=PATH` reads another manifest (for work on the corpus itself).

use std::io::Write as _;
use std::path::{Path, PathBuf};

use bpfvet_oracle::{LogLevel, Outcome, VerifyOptions};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Writes straight to the process's stderr, which the harness does not capture.
fn loud(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// `true` when the live verifier is usable; otherwise fails the test, or (with
/// `BPFVET_NO_KERNEL=1`) says loudly that it is skipped.
fn kernel_or_skip(test: &str) -> bool {
    match bpfvet_oracle::kernel_available() {
        Ok(info) => {
            loud(&format!("{test}: live verifier of kernel {}", info.release));
            true
        }
        Err(why) if std::env::var("BPFVET_NO_KERNEL").as_deref() == Ok("1") => {
            loud(&format!(
                "\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\
                 !!! {test}: NOT RUN: the live kernel verifier is unavailable:\n\
                 !!!   {why}\n\
                 !!! BPFVET_NO_KERNEL=1 is set, so this counts as passed. Nothing was checked.\n\
                 !!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n"
            ));
            false
        }
        Err(why) => panic!(
            "{test}: the live kernel verifier is unavailable: {why}\n\
             (set BPFVET_NO_KERNEL=1 to skip this test on a machine without bpf())"
        ),
    }
}

#[derive(serde::Deserialize)]
struct Manifest {
    programs: Vec<Entry>,
}

#[derive(serde::Deserialize)]
struct Entry {
    object: String,
    program: String,
    expectation: String,
    kernel_message: Option<String>,
    /// The object defines legacy `SEC("maps")` maps, which libbpf 1.x refuses to open. Its
    /// expectation was confirmed with the corpus's raw loader (`corpus/tools/kload.py`); here
    /// the only acceptable answer is libbpf's refusal, which says so.
    #[serde(default)]
    legacy_maps: bool,
}

/// Compares one verdict with its manifest entry; `Err` describes the disagreement.
///
/// The corpus's contract (corpus/README.md): a rejection's `kernel_message` is a substring of
/// one of the log's last three meaningful lines, because the kernel often prints a specific
/// line and then a generic one.
fn check(e: &Entry, got: &Outcome, log: &str) -> Result<(), String> {
    let msg = e.kernel_message.as_deref().unwrap_or("");
    match (e.expectation.as_str(), got) {
        (_, Outcome::Refused { reason, .. }) if e.legacy_maps && reason.contains("legacy map") => {
            Ok(())
        }
        ("accept", Outcome::Accepted) => Ok(()),
        ("reject", Outcome::Rejected { .. }) => {
            let lines = bpfvet_oracle::reason_lines(log, 3);
            if lines.iter().any(|l| l.contains(msg)) {
                Ok(())
            } else {
                Err(format!(
                    "rejected as expected, but no reason line {lines:?} contains {msg:?}"
                ))
            }
        }
        // A refusal's manifest message describes the circumstances in prose (it comes from no
        // verifier line), so only the verdict is compared.
        ("refused", Outcome::Refused { .. }) => Ok(()),
        (want, got) => Err(format!(
            "expected {want} {msg:?}, kernel: {}",
            got.summary()
        )),
    }
}

#[test]
fn kernel_verdicts_match_corpus_manifest() {
    if !kernel_or_skip("kernel_verdicts_match_corpus_manifest") {
        return;
    }
    let root = root();
    let path = std::env::var_os("BPFVET_CORPUS_MANIFEST")
        .map_or_else(|| root.join("corpus/manifest.json"), PathBuf::from);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {}: {e} (run `bash corpus/build.sh`)",
            path.display()
        )
    });
    let manifest: Manifest = serde_json::from_str(&text).expect("corpus/manifest.json parses");
    assert!(
        !manifest.programs.is_empty(),
        "{} lists no programs",
        path.display()
    );
    // Object paths are relative to the repository root, the manifest's grandparent.
    let base = path
        .parent()
        .and_then(Path::parent)
        .map_or_else(|| root.clone(), Path::to_path_buf);
    let opts = VerifyOptions::new(LogLevel::Brief, true);
    let mut bad = Vec::new();
    let mut counts = [0usize; 3];
    for e in &manifest.programs {
        let elf =
            std::fs::read(base.join(&e.object)).unwrap_or_else(|err| panic!("{}: {err}", e.object));
        let verdicts = match bpfvet_oracle::verify_object(&elf, &e.object, Some(&e.program), &opts)
        {
            Ok(vs) => vs,
            Err(err) => {
                bad.push(format!("{} {}: oracle error: {err}", e.object, e.program));
                continue;
            }
        };
        for v in &verdicts {
            counts[match v.outcome {
                Outcome::Accepted => 0,
                Outcome::Rejected { .. } => 1,
                _ => 2,
            }] += 1;
            if let Err(why) = check(e, &v.outcome, v.log.as_deref().unwrap_or("")) {
                bad.push(format!("{} {}: {why}", e.object, e.program));
            }
        }
    }
    loud(&format!(
        "kernel_verdicts_match_corpus_manifest: {} programs: {} accepted, {} rejected, {} refused; {} disagreements",
        manifest.programs.len(),
        counts[0],
        counts[1],
        counts[2],
        bad.len()
    ));
    assert!(
        bad.is_empty(),
        "the kernel disagrees with corpus/manifest.json:\n  {}",
        bad.join("\n  ")
    );
}

fn objects(dir: &Path, out: &mut Vec<String>, root: &Path) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let p = entry.path();
        if p.is_dir() {
            objects(&p, out, root);
        } else if p.to_string_lossy().ends_with(".bpf.o") {
            out.push(
                p.strip_prefix(root)
                    .unwrap_or(&p)
                    .to_string_lossy()
                    .into_owned(),
            );
        }
    }
}

#[test]
fn kernel_corpus_snapshot() {
    if !kernel_or_skip("kernel_corpus_snapshot") {
        return;
    }
    let root = root();
    let mut objs = Vec::new();
    objects(&root.join("corpus/c"), &mut objs, &root);
    objs.sort();
    assert!(!objs.is_empty(), "no corpus/c/**/*.bpf.o objects");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(&root)
        .args(["kernel", "--format", "summary"])
        .args(&objs)
        .output()
        .expect("run bpfvet kernel");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "bpfvet kernel failed ({}):\n{stderr}",
        out.status
    );
    let got = format!(
        "# `bpfvet kernel --format summary` over corpus/c/**/*.bpf.o, regenerated by tests/kernel_corpus.rs.\n\
         # Deterministic on one kernel: verdict, reason line, processed insns and states; no timings.\n\
         # Bless with BPFVET_BLESS=1 cargo test --test kernel_corpus.\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let snap = root.join("snapshots/kernel/corpus.txt");
    if std::env::var("BPFVET_BLESS").as_deref() == Ok("1") {
        std::fs::create_dir_all(snap.parent().expect("parent")).expect("mkdir snapshots/kernel");
        std::fs::write(&snap, &got).expect("write snapshot");
        loud(&format!(
            "kernel_corpus_snapshot: blessed {}",
            snap.display()
        ));
        return;
    }
    let want = std::fs::read_to_string(&snap).unwrap_or_default();
    if want != got {
        let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
        let mut diff = String::new();
        for l in w.iter().filter(|l| !g.contains(l)) {
            diff.push_str(&format!("- {l}\n"));
        }
        for l in g.iter().filter(|l| !w.contains(l)) {
            diff.push_str(&format!("+ {l}\n"));
        }
        panic!(
            "{} differs from the running kernel's verdicts (BPFVET_BLESS=1 to accept):\n{diff}",
            snap.display()
        );
    }
}
