//! The live kernel against the corpus: every program listed in `corpus/manifest.json` is loaded
//! into the running kernel, and `bpfvet kernel --format summary` over every corpus object is
//! kept as the running build's column (`snapshots/kernel/<release>/corpus.txt`, see
//! `kernel_support/columns.rs`), so no expectation in the corpus is ever a guess and a kernel
//! (or libbpf) change shows up as a diff.
//!
//! A manifest entry's `expectation` is the conservative verdict over every recorded build of the
//! newest release series, the kernel bpfvet's default profile describes (a program some such
//! build rejects is expected to be rejected); its `kernels` map holds each recorded build's own
//! verdict, older series included (Debian's 6.1 and 6.12, booted by `scripts/kernel-oracle`:
//! they measure `bpfvet check --kernel 6.1`, and may reject what the newest accepts). On a recorded build the live verdict must equal that build's;
//! on a new build a different answer fails only where every recorded build agreed and bpfvet
//! disagrees with the live kernel (bpfvet would mislead a user of this build), and is printed
//! otherwise.
//!
//! Where `bpf()` is unavailable both tests fail, saying why, unless `BPFVET_NO_KERNEL=1`; then
//! they print a loud notice (past the test harness's output capture) and pass.
//! `BPFVET_BLESS=1` rewrites the running build's column instead of comparing.
//! `BPFVET_CORPUS_MANIFEST=PATH` reads another manifest (for work on the corpus itself).

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use bpfvet_oracle::{LogLevel, Outcome, VerifyOptions};
use kernel_support::columns::{self, loud, running_release};
use kernel_support::{bpfvet_accepts, kernel_or_skip, root};

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
    /// Each recorded build's verdict (`accept`, `reject`, `refused`), by release.
    #[serde(default)]
    kernels: BTreeMap<String, String>,
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

/// Judges one live answer on build `release`; `Err` fails the test, `Ok(Some)` is a difference
/// from the recorded builds that bpfvet's verdict already covers.
fn judge(
    e: &Entry,
    release: &str,
    got: &Outcome,
    log: &str,
    bytes: &[u8],
) -> Result<Option<String>, String> {
    let word = got.expectation_word();
    match e.kernels.get(release) {
        // A recorded build answers as it did, and where it agrees with the expectation, with
        // the expected reason.
        Some(want) if *want == e.expectation || e.legacy_maps => check(e, got, log).map(|()| None),
        Some(want) if want == word => Ok(None),
        Some(want) => Err(format!(
            "build {release} was recorded as {want}, kernel now: {}",
            got.summary()
        )),
        None => {
            let Err(why) = check(e, got, log) else {
                return Ok(None);
            };
            // The builds of this build's series speak for it when there are any (an older
            // series may lack a feature this one has); otherwise every recorded build does.
            let peers: BTreeMap<&String, &String> = e
                .kernels
                .iter()
                .filter(|(b, _)| series(b) == series(release))
                .collect();
            let peers = if peers.is_empty() {
                e.kernels.iter().collect()
            } else {
                peers
            };
            let unanimous = !peers.is_empty() && peers.values().all(|v| **v == e.expectation);
            let ours = if bpfvet_accepts(bytes, &e.program) {
                "accept"
            } else {
                "reject"
            };
            if unanimous && ours != word {
                Err(format!(
                    "{why}; every recorded build ({}) says {}, and bpfvet says {ours}: bpfvet \
                     disagrees with this build",
                    peers
                        .keys()
                        .map(|b| b.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                    e.expectation
                ))
            } else {
                Ok(Some(format!("{why} (bpfvet: {ours})")))
            }
        }
    }
}

#[test]
fn kernel_verdicts_match_corpus_manifest() {
    if !kernel_or_skip("kernel_verdicts_match_corpus_manifest") {
        return;
    }
    let root = root();
    let release = running_release();
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
    let (mut bad, mut differs) = (Vec::new(), Vec::new());
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
            match judge(
                e,
                &release,
                &v.outcome,
                v.log.as_deref().unwrap_or(""),
                &elf,
            ) {
                Ok(None) => {}
                Ok(Some(why)) => differs.push(format!("{} {}: {why}", e.object, e.program)),
                Err(why) => bad.push(format!("{} {}: {why}", e.object, e.program)),
            }
        }
    }
    loud(&format!(
        "kernel_verdicts_match_corpus_manifest: kernel {release}: {} programs: {} accepted, {} rejected, {} refused; {} disagreements{}",
        manifest.programs.len(),
        counts[0],
        counts[1],
        counts[2],
        bad.len(),
        if differs.is_empty() {
            String::new()
        } else {
            format!(
                "\n  this build answers differently from the recorded builds on (bpfvet's verdict covers it):\n  {}",
                differs.join("\n  ")
            )
        }
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
        "# `bpfvet kernel --format summary` over corpus/c/**/*.bpf.o on this kernel build, kept by tests/kernel_corpus.rs.\n\
         # Deterministic on one build: verdict, reason line, processed insns and states; no timings.\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
    columns::check("corpus", &got);
}

/// The judgement on a build with no column, without a kernel: the cases the test's pass or
/// fail rests on.
#[test]
fn a_new_build_fails_only_where_recorded_builds_agree_and_bpfvet_does_not() {
    let bytes = std::fs::read(root().join("corpus/c/asm/spill_fill.bpf.o")).expect("object");
    let entry = |expectation: &str, kernels: &[(&str, &str)]| Entry {
        object: "corpus/c/asm/spill_fill.bpf.o".into(),
        program: "asm_spill_const".into(),
        expectation: expectation.into(),
        kernel_message: (expectation == "reject").then(|| "Too large".into()),
        legacy_maps: false,
        kernels: kernels
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    };
    let rejected = Outcome::Rejected {
        errno: bpfvet_oracle::Errno(13),
        kind: bpfvet_oracle::RejectKind::Verifier,
        reason: "combined stack size of 2 calls is 640. Too large".into(),
    };
    // bpfvet accepts asm_spill_const: a new build that rejects it, where every recorded build
    // accepted, is a program on which bpfvet misleads users of this build.
    let unanimous = entry("accept", &[("a", "accept"), ("b", "accept")]);
    assert!(judge(&unanimous, "new", &rejected, "", &bytes).is_err());
    // Recorded builds that disagree among themselves: printed, not failed.
    let split = entry("reject", &[("a", "accept"), ("b", "reject")]);
    assert!(matches!(
        judge(&split, "new", &Outcome::Accepted, "", &bytes),
        Ok(Some(_))
    ));
    // A recorded build must answer as recorded, even where another build accepts.
    assert!(judge(&split, "b", &Outcome::Accepted, "", &bytes).is_err());
    assert!(matches!(
        judge(&split, "a", &Outcome::Accepted, "", &bytes),
        Ok(None)
    ));
    assert!(matches!(
        judge(&unanimous, "a", &Outcome::Accepted, "", &bytes),
        Ok(None)
    ));
    // An older series that rejects (6.1 lacking a feature) does not weaken the judgement on a
    // new build of the series whose builds all accept.
    let older = entry(
        "accept",
        &[
            ("6.1.0-57-cloud-amd64", "reject"),
            ("6.18.44-fc-v1252", "accept"),
        ],
    );
    assert!(judge(&older, "6.18.50-new", &rejected, "", &bytes).is_err());
}

/// A build's release series, `(6, 1)` for `6.1.0-57-cloud-amd64`, `(6, 18)` for
/// `6.18.44-fc-v1252`.
fn series(release: &str) -> Option<(u32, u32)> {
    let mut parts = release.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

#[test]
fn release_series() {
    assert_eq!(series("6.1.0-57-cloud-amd64"), Some((6, 1)));
    assert_eq!(series("6.12.118+deb12-cloud-amd64"), Some((6, 12)));
    assert_eq!(series("6.18.44-fc-v1252"), Some((6, 18)));
    assert_eq!(series("unknown"), None);
}

/// The manifest's `kernels` columns are the recorded builds' `corpus.txt` columns, and every
/// expectation is the conservative verdict over those of the newest release series: a program
/// some such build rejects is expected to be rejected. Needs no kernel.
#[test]
fn manifest_columns_are_the_recorded_builds() {
    let text = std::fs::read_to_string(root().join("corpus/manifest.json")).expect("manifest");
    let manifest: Manifest = serde_json::from_str(&text).expect("corpus/manifest.json parses");
    let recorded = columns::recorded("corpus");
    assert!(
        !recorded.is_empty(),
        "no recorded build under snapshots/kernel/"
    );
    let mut bad = Vec::new();
    for (build, column) in &recorded {
        let verdicts: BTreeMap<(&str, &str), &str> = column
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let (id, rest) = l.split_once(" (")?;
                let (object, program) = id.split_once(' ')?;
                let word = match rest.split_once("): ")?.1.split([' ', '(']).next()? {
                    "accepted" => "accept",
                    "rejected" => "reject",
                    _ => "refused",
                };
                Some(((object, program), word))
            })
            .collect();
        for e in &manifest.programs {
            let want = verdicts
                .get(&(e.object.as_str(), e.program.as_str()))
                .copied();
            if e.kernels.get(build).map(String::as_str) != want {
                bad.push(format!(
                    "{} {}: manifest says {build} {:?}, its column {want:?}",
                    e.object,
                    e.program,
                    e.kernels.get(build)
                ));
            }
        }
    }
    // An older series rejecting a program that uses a newer feature is no reason to expect a
    // rejection from the newest kernel; it is what `--kernel X.Y` must predict.
    let newest = recorded.keys().filter_map(|b| series(b)).max();
    for e in &manifest.programs {
        let rejecting: Vec<&String> = e
            .kernels
            .iter()
            .filter(|(b, v)| *v == "reject" && series(b) == newest)
            .map(|(b, _)| b)
            .collect();
        if e.expectation == "accept" && !rejecting.is_empty() {
            bad.push(format!(
                "{} {}: expected accept, but recorded build(s) {rejecting:?} of the newest series reject it",
                e.object, e.program
            ));
        }
    }
    assert!(
        bad.is_empty(),
        "corpus/manifest.json and snapshots/kernel/*/corpus.txt disagree (run python3 corpus/tools/manifest.py):\n  {}",
        bad.join("\n  ")
    );
}
