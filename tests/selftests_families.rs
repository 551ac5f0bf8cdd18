//! The kernel's kfunc-family selftests: programs of Linux 6.12's
//! `tools/testing/selftests/bpf/progs/` that exercise allocated objects (lists, rbtrees,
//! refcounts, kptrs), exceptions, locks, kernel objects (task, cgroup, cpumask), dynptrs and
//! iterators. bpfvet's authors did not write them and the verifier suite of
//! `../shared/kernel-selftests` does not hold them. `scripts/fetch-realworld` builds the objects
//! named in `corpus/realworld/families.txt` into its cache (`selftests-families/`); nothing of
//! them is committed.
//!
//! - `families_kernel_column` keeps the live kernel's verdict on every program (`bpfvet kernel
//!   --format summary --test-flags`) as the running build's column
//!   `snapshots/kernel/<release>/families.txt` (`kernel_support/columns.rs`).
//! - `families_agree_with_the_kernel` needs no kernel: it compares `bpfvet check` with the
//!   recorded column into the committed table `snapshots/agreement/families.txt` (per family:
//!   how many kernel-accepted programs bpfvet accepts, how many kernel-rejected ones it accepts,
//!   whether its rejections give the kernel's reason), and fails when the table changes (bless a
//!   reviewed change with `BPFVET_BLESS=1`) or when bpfvet accepts a program the kernel rejects
//!   that `corpus/realworld/families-unsound.txt` does not name with its reason. False
//!   rejections are measured, not gated: these families are still being built (issue 21).
//!
//! Where the cache is missing, both say loudly that they did not run, and why, and pass.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::PathBuf;
use std::process::Command;

use kernel_support::{columns, kernel_or_skip, root};

const TABLE: &str = "families";

/// The cache directory and the objects (path in the cache, family), or `None` after saying
/// loudly why the test did not run.
fn objects(test: &str) -> Option<(PathBuf, Vec<(String, String)>)> {
    let dir = std::env::var_os("BPFVET_REALWORLD_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/bpfvet-realworld"))
        })?;
    let list = std::fs::read_to_string(root().join("corpus/realworld/families.txt"))
        .expect("corpus/realworld/families.txt");
    let objects: Vec<(String, String)> = list
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split_once(' '))
        .map(|(name, family)| {
            (
                format!("selftests-families/{name}.o"),
                family.trim().to_owned(),
            )
        })
        .collect();
    let missing: Vec<&str> = objects
        .iter()
        .map(|(p, _)| p.as_str())
        .filter(|p| !dir.join(p).is_file())
        .collect();
    if !missing.is_empty() {
        columns::loud(&format!(
            "\n!!! {test} NOT RUN: {} of the {} kfunc-family selftest objects are not in {} \
             (first: {}); run scripts/fetch-realworld (it needs Debian's linux-source-6.12, \
             clang-19 and the running kernel's BTF)\n",
            missing.len(),
            objects.len(),
            dir.display(),
            missing[0]
        ));
        return None;
    }
    Some((dir, objects))
}

#[test]
fn families_kernel_column() {
    if !kernel_or_skip("families_kernel_column") {
        return;
    }
    let Some((dir, objects)) = objects("families_kernel_column") else {
        return;
    };
    let mut column = String::from(
        "# `bpfvet kernel --format summary --test-flags` over the kfunc-family selftests \
         (corpus/realworld/families.txt), kept by tests/selftests_families.rs.\n",
    );
    for (path, _) in &objects {
        let out = Command::new(env!("CARGO_BIN_EXE_bpfvet"))
            .current_dir(&dir)
            .args(["kernel", "--format", "summary", "--test-flags", path])
            .output()
            .expect("run bpfvet kernel");
        column.push_str(&String::from_utf8_lossy(&out.stdout));
    }
    columns::check(TABLE, &column);
}

/// bpfvet's verdict, first finding's code and kernel text, by (object, program).
fn run_check(dir: &std::path::Path, paths: &[String]) -> BTreeMap<(String, String), [String; 3]> {
    let out = kernel_support::bpfvet_stdout(dir, &["check", "--format", "json"], paths);
    let report: serde_json::Value =
        serde_json::from_str(&out).expect("check --format json prints a report");
    let mut verdicts = BTreeMap::new();
    for o in report["objects"].as_array().into_iter().flatten() {
        let obj = o["path"].as_str().unwrap_or("").to_owned();
        for p in o["programs"].as_array().into_iter().flatten() {
            let f = &p["findings"][0];
            let text = kernel_support::finding_text(f);
            verdicts.insert(
                (obj.clone(), p["name"].as_str().unwrap_or("").to_owned()),
                [
                    p["verdict"].as_str().unwrap_or("").to_owned(),
                    f["code"].as_str().unwrap_or("").to_owned(),
                    text,
                ],
            );
        }
    }
    verdicts
}

/// A reason with its numbers taken out, so that ids, offsets and instruction indexes do not
/// decide whether two texts say the same thing.
fn shape(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_ascii_digit())
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Per family: programs the kernel verified, kernel accepts, of those bpfvet accepts, kernel
/// rejects, of those bpfvet accepts (unsound), of those bpfvet rejects with the kernel's reason,
/// bpfvet findings that are `unsupported-*`.
type Tally = [usize; 7];

fn tally_text(t: &Tally) -> String {
    format!(
        "{} | {} | {} | {} | {} | {} | {}",
        t[0], t[1], t[2], t[3], t[4], t[5], t[6]
    )
}

#[test]
fn families_agree_with_the_kernel() {
    let Some((dir, objects)) = objects("families_agree_with_the_kernel") else {
        return;
    };
    let (build, column) = columns::column_for_running(TABLE, "families_kernel_column");
    let kernel = columns::kernel_lines(&column);
    let paths: Vec<String> = objects.iter().map(|(p, _)| p.clone()).collect();
    let ours = run_check(&dir, &paths);
    let known = columns::named_programs("corpus/realworld/families-unsound.txt");
    let mut seen_unsound = BTreeSet::new();
    let mut unexplained = Vec::new();
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut rows = String::new();
    for (path, family) in &objects {
        let t = tallies.entry(family.as_str()).or_default();
        let progs = kernel
            .range((path.clone(), String::new())..)
            .take_while(|((o, _), _)| o == path);
        for (
            (obj, prog),
            columns::KernelLine {
                word,
                detail: reason,
            },
        ) in progs
        {
            let key = (obj.clone(), prog.clone());
            let [verdict, code, text] = ours.get(&key).cloned().unwrap_or_default();
            let ours_text = match verdict.as_str() {
                "accept" => "accept".to_owned(),
                "" => "missing".to_owned(),
                v => format!("{v} {code}: {text}"),
            };
            let mark = match (word.as_str(), verdict.as_str()) {
                ("accepted", "accept") => "-",
                ("rejected", "reject") if shape(reason) == shape(&text) => "- (same reason)",
                ("rejected", "reject") => "other reason",
                ("accepted", _) => "FALSE REJECTION",
                ("rejected", "accept") => "UNSOUND",
                _ => "not compared (the kernel refused it before verification)",
            };
            if word == "accepted" || word == "rejected" {
                t[0] += 1;
                t[6] += usize::from(code.starts_with("unsupported"));
            }
            if word == "accepted" {
                t[1] += 1;
                t[2] += usize::from(verdict == "accept");
            }
            if word == "rejected" {
                t[3] += 1;
                t[4] += usize::from(verdict == "accept");
                t[5] += usize::from(mark == "- (same reason)");
            }
            if mark == "UNSOUND" {
                seen_unsound.insert(key.clone());
                if !known.contains_key(&key) {
                    unexplained.push(format!("{obj} {prog}: the kernel rejects it: {reason}"));
                }
            }
            let kernel_text = if word == "accepted" {
                word.clone()
            } else {
                format!("{word}: {reason}")
            };
            let _ = writeln!(
                rows,
                "{obj} | {prog} | {kernel_text} | {ours_text} | {mark}"
            );
        }
    }
    let mut table = format!(
        "# The kernel's kfunc-family selftests (corpus/realworld/families.txt; built by \
         scripts/fetch-realworld): bpfvet check (newest profile, privileged) against the live \
         kernel {build}.\n# Kept by tests/selftests_families.rs; bless a reviewed change with \
         BPFVET_BLESS=1.\n#\n# family: programs verified | kernel accepts | bpfvet accepts of \
         those | kernel rejects | bpfvet accepts of those (unsound) | bpfvet rejects with the \
         kernel's reason | unsupported-* findings\n"
    );
    let mut total: Tally = [0; 7];
    for (family, t) in &tallies {
        for (sum, n) in total.iter_mut().zip(t) {
            *sum += n;
        }
        let _ = writeln!(table, "# {family}: {}", tally_text(t));
    }
    let _ = writeln!(table, "# all: {}", tally_text(&total));
    table.push_str("#\n# object | program | kernel | bpfvet | agreement\n");
    table.push_str(&rows);

    let kept = columns::keep_table("snapshots/agreement/families.txt", table);
    let stale: Vec<String> = known
        .keys()
        .filter(|k| !seen_unsound.contains(*k))
        .map(|(o, p)| format!("{o} {p}"))
        .collect();
    assert!(
        unexplained.is_empty(),
        "bpfvet accepts programs the kernel rejects, not named in \
         corpus/realworld/families-unsound.txt:\n{}",
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "corpus/realworld/families-unsound.txt names programs bpfvet no longer accepts \
         (remove them): {stale:?}"
    );
    kept.assert_unchanged();
}
