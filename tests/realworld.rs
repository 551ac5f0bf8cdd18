//! The real-world corpus: objects bpfvet's authors did not write, as Debian ships them (libxdp,
//! cilium/ebpf's testdata, libbpf-tools executables with embedded skeleton objects), Linux 6.12's
//! samples/bpf built with clang-19, and the corpus's own programs built with GCC's BPF backend.
//! `scripts/fetch-realworld` puts them in a cache (`$BPFVET_REALWORLD_DIR`, default
//! `~/.cache/bpfvet-realworld`); `corpus/realworld/sources.json` lists them with origin,
//! version and licence. Nothing third-party is committed.
//!
//! - `realworld_kernel_column` keeps the live kernel's verdict on every program (`bpfvet kernel
//!   --format summary`) as the running build's column `snapshots/kernel/<release>/realworld.txt`
//!   (see `kernel_support/columns.rs`); it fails unless the kernel is available, except with
//!   `BPFVET_NO_KERNEL=1`, which it reports loudly.
//! - `realworld_agrees_with_the_kernel` needs no kernel: it runs `bpfvet info`, `disasm` and
//!   `check` on every object, compares `check` with the recorded column into the committed
//!   table `snapshots/realworld/table.txt` (bless a reviewed change with `BPFVET_BLESS=1`), and
//!   fails when an object libbpf can load makes bpfvet exit 2, when a verdict differs from the
//!   kernel's without a reason in `corpus/realworld/differences.txt`, or when bpfvet accepts
//!   fewer than 99 % of the programs the kernel accepts.
//!
//! Where the cache is missing (no network when `scripts/setup` ran), both say loudly that they
//! did not run and why, and pass: the corpus cannot be committed, so it may be absent.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use kernel_support::{columns, kernel_or_skip, root};

const TABLE: &str = "realworld";

#[derive(serde::Deserialize)]
struct Sources {
    objects: Vec<Source>,
}

#[derive(serde::Deserialize)]
struct Source {
    path: String,
    origin: String,
    package: String,
    version: String,
    sha256: Option<String>,
}

/// The cache and its objects, or `None` (after saying why loudly) when it was never fetched.
fn corpus(test: &str) -> Option<(PathBuf, Vec<Source>)> {
    let dir = std::env::var_os("BPFVET_REALWORLD_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/bpfvet-realworld"))
        })?;
    let text = std::fs::read_to_string(root().join("corpus/realworld/sources.json"))
        .expect("corpus/realworld/sources.json");
    let sources: Sources = serde_json::from_str(&text).expect("sources.json parses");
    let missing: Vec<&str> = sources
        .objects
        .iter()
        .filter(|s| !dir.join(&s.path).is_file())
        .map(|s| s.path.as_str())
        .collect();
    if !missing.is_empty() {
        columns::loud(&format!(
            "\n!!! {test} NOT RUN: {} of the {} real-world objects are not in {} (first: {}); \
             run scripts/fetch-realworld (it needs Debian's package archive)\n",
            missing.len(),
            sources.objects.len(),
            dir.display(),
            missing[0]
        ));
        return None;
    }
    // A newer Debian package may ship other bytes: say so, the table may then differ.
    let sums = Command::new("sha256sum")
        .current_dir(&dir)
        .args(
            sources
                .objects
                .iter()
                .filter(|s| s.sha256.is_some())
                .map(|s| s.path.as_str()),
        )
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    let got: BTreeMap<&str, &str> = sums
        .lines()
        .filter_map(|l| l.split_once("  ").map(|(h, p)| (p, h)))
        .collect();
    for s in &sources.objects {
        let Some(want) = &s.sha256 else { continue };
        let Some(got) = got.get(s.path.as_str()) else {
            continue;
        };
        if got != want {
            columns::loud(&format!(
                "note: {} differs from the recorded {} {} (sha256 {got}); regenerate \
                 corpus/realworld/sources.json if the package was updated",
                s.path, s.package, s.version
            ));
        }
    }
    Some((dir, sources.objects))
}

/// Runs `f` over `items` on two threads (the machines this runs on have two cores), in order.
fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let mid = items.len() / 2;
    let (a, b) = items.split_at(mid);
    std::thread::scope(|s| {
        let h = s.spawn(|| a.iter().map(&f).collect::<Vec<_>>());
        let mut second: Vec<R> = b.iter().map(&f).collect();
        let mut out = h.join().expect("worker");
        out.append(&mut second);
        out
    })
}

fn bpfvet(dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run bpfvet")
}

#[test]
fn realworld_kernel_column() {
    if !kernel_or_skip("realworld_kernel_column") {
        return;
    }
    let Some((dir, objects)) = corpus("realworld_kernel_column") else {
        return;
    };
    let mut column = String::from(
        "# `bpfvet kernel --format summary` over the real-world corpus (corpus/realworld/sources.json, \
         paths relative to the fetch cache), kept by tests/realworld.rs.\n",
    );
    // One object at a time: the oracle serialises loads anyway.
    for s in &objects {
        let out = bpfvet(&dir, &["kernel", "--format", "summary", &s.path]);
        let text = String::from_utf8_lossy(&out.stdout);
        if text.trim().is_empty() {
            // No program to load (libbpf finds none, or cannot read the object): one line.
            let err = String::from_utf8_lossy(&out.stderr);
            let why = err.lines().next().map_or_else(
                || "libbpf lists no program".to_owned(),
                |l| l.replace(&s.path, ""),
            );
            let _ = writeln!(
                column,
                "{} * (object): not loaded: {}",
                s.path,
                why.trim_start_matches("bpfvet kernel: ")
                    .trim_start_matches(": ")
                    .trim()
            );
        } else {
            column.push_str(&text);
        }
    }
    columns::check(TABLE, &column);
}

/// The kernel's answer on one program, from a column line.
#[derive(Clone)]
struct KernelAnswer {
    verdict: &'static str,
    detail: String,
}

/// The column's lines by (object, program), with verdicts other than accepted and rejected
/// counted as not loaded.
fn parse_column(text: &str) -> BTreeMap<(String, String), KernelAnswer> {
    columns::kernel_lines(text)
        .into_iter()
        .map(|(key, line)| {
            let verdict = match line.word.as_str() {
                "accepted" => "accepted",
                "rejected" => "rejected",
                _ => "not loaded",
            };
            let detail = line.detail;
            (key, KernelAnswer { verdict, detail })
        })
        .collect()
}

/// (object name as check prints it, program) -> verdict and first finding's kernel message.
type Verdicts = BTreeMap<(String, String), (String, String)>;

/// What bpfvet said about one object: exit codes of info/disasm/check, and check's verdicts.
struct Ours {
    info: i32,
    disasm: i32,
    check: i32,
    error: String,
    verdicts: Verdicts,
}

/// `info` and `disasm` on each object (cheap, one process each), and `check` on all of them in
/// one process (the kernel BTF is parsed once, objects are checked on all cores); an object
/// `check` cannot load is named on its stderr.
fn run_ours(dir: &Path, objects: &[Source], config: Option<&Path>) -> Vec<Ours> {
    let code = |o: &std::process::Output| o.status.code().unwrap_or(-1);
    let paths: Vec<&str> = objects.iter().map(|s| s.path.as_str()).collect();
    let mut args = vec!["check", "--format", "json"];
    let config = config.map(|p| p.to_string_lossy().into_owned());
    if let Some(c) = &config {
        args.extend(["--kernel-config", c.as_str()]);
    }
    args.extend(&paths);
    let check = bpfvet(dir, &args);
    let mut verdicts: BTreeMap<String, Verdicts> = BTreeMap::new();
    let report: serde_json::Value =
        serde_json::from_slice(&check.stdout).expect("check --format json prints a report");
    for o in report["objects"].as_array().into_iter().flatten() {
        let name = o["path"].as_str().unwrap_or("").to_owned();
        let file = name.split('!').next().unwrap_or("").to_owned();
        for p in o["programs"].as_array().into_iter().flatten() {
            let why = kernel_support::finding_text(&p["findings"][0]);
            verdicts.entry(file.clone()).or_default().insert(
                (name.clone(), p["name"].as_str().unwrap_or("").to_owned()),
                (p["verdict"].as_str().unwrap_or("").to_owned(), why),
            );
        }
    }
    let stderr = String::from_utf8_lossy(&check.stderr).into_owned();
    par_map(objects, |s| {
        let info = bpfvet(dir, &["info", &s.path]);
        let disasm = bpfvet(dir, &["disasm", &s.path]);
        let prefix = format!("bpfvet: error: {}", s.path);
        let error = stderr
            .lines()
            .find(|l| {
                l.strip_prefix(&prefix)
                    .is_some_and(|rest| rest.starts_with(':') || rest.starts_with('!'))
            })
            .map(|l| {
                l.trim_start_matches(&prefix)
                    .trim_start_matches(": ")
                    .to_owned()
            });
        let verdicts = verdicts.get(&s.path).cloned().unwrap_or_default();
        // The status `check` alone on this object would exit with.
        let rejected = verdicts.values().any(|(v, _)| v != "accept");
        Ours {
            info: code(&info),
            disasm: code(&disasm),
            check: if error.is_some() {
                2
            } else {
                i32::from(rejected)
            },
            error: error.unwrap_or_default(),
            verdicts,
        }
    })
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        s.chars().take(n).collect::<String>() + "..."
    }
}

#[test]
fn realworld_agrees_with_the_kernel() {
    let Some((dir, objects)) = corpus("realworld_agrees_with_the_kernel") else {
        return;
    };
    let (build, column) = columns::column_for_running(TABLE, "realworld_kernel_column");
    let kernel = parse_column(&column);
    // The build's configuration where it is recorded (tests/kernel_build_column.rs): helpers
    // it leaves out are refused as it refuses them.
    let config = columns::columns_dir()
        .join(&build)
        .join("kernel-config.txt");
    let ours = run_ours(&dir, &objects, config.exists().then_some(config.as_path()));
    let reasons = columns::named_programs("corpus/realworld/differences.txt");
    let mut used = std::collections::BTreeSet::new();

    let mut rows = String::new();
    let mut bad_exit = Vec::new();
    let mut unexplained = Vec::new();
    // Per origin: objects, programs, kernel-accepted, of those bpfvet-accepted, unsound.
    let mut by_origin: BTreeMap<&str, [usize; 5]> = BTreeMap::new();
    let mut exits: BTreeMap<(&str, i32), usize> = BTreeMap::new();
    for (s, o) in objects.iter().zip(&ours) {
        let tally = by_origin.entry(s.origin.as_str()).or_default();
        tally[0] += 1;
        for (cmd, c) in [("info", o.info), ("disasm", o.disasm), ("check", o.check)] {
            *exits.entry((cmd, c)).or_default() += 1;
        }
        let progs: Vec<(&(String, String), &KernelAnswer)> = kernel
            .range((s.path.clone(), String::new())..)
            .take_while(|((obj, _), _)| obj == &s.path || obj.starts_with(&format!("{}!", s.path)))
            .collect();
        // bpfvet may stop at exit 2 only on an object libbpf cannot load either (a big-endian
        // object on this host, a relocation libbpf refuses): none of its programs reached the
        // verifier.
        let codes_ok = [o.info, o.disasm, o.check]
            .iter()
            .all(|c| *c == 0 || *c == 1);
        let libbpf_loads = progs
            .iter()
            .any(|(_, k)| k.verdict == "accepted" || k.verdict == "rejected");
        if !codes_ok && libbpf_loads {
            bad_exit.push(format!(
                "{}: info {}, disasm {}, check {}: {}",
                s.path, o.info, o.disasm, o.check, o.error
            ));
        }
        if progs.is_empty() {
            let _ = writeln!(
                rows,
                "{} | - | no programs | {} | -",
                s.path,
                if o.check == 2 {
                    format!("error: {}", o.error)
                } else {
                    "no programs".into()
                }
            );
            continue;
        }
        for ((obj, prog), k) in progs {
            if prog == "*" {
                let _ = writeln!(
                    rows,
                    "{obj} | * | not loaded: {} | {} | -",
                    short(&k.detail, 80),
                    if o.check == 2 {
                        format!("error: {}", short(&o.error, 100))
                    } else {
                        format!("exit {}", o.check)
                    }
                );
                continue;
            }
            tally[1] += 1;
            let key = (obj.clone(), prog.clone());
            let (ours_word, ours_why) = match o.verdicts.get(&key) {
                Some((v, why)) if v == "accept" => ("accept".to_owned(), String::new()),
                Some((_, why)) => ("reject".to_owned(), why.clone()),
                None if o.check == 2 => ("error".to_owned(), o.error.clone()),
                None => ("missing".to_owned(), String::new()),
            };
            let kernel_text = match k.verdict {
                "accepted" => "accepted".to_owned(),
                v => format!("{v}: {}", short(&k.detail, 90)),
            };
            let ours_text = if ours_why.is_empty() {
                ours_word.clone()
            } else {
                format!("{ours_word}: {}", short(&ours_why, 90))
            };
            let agree = matches!(
                (k.verdict, ours_word.as_str()),
                ("accepted", "accept") | ("rejected", "reject")
            );
            if k.verdict == "accepted" {
                tally[2] += 1;
                if ours_word == "accept" {
                    tally[3] += 1;
                }
            }
            if k.verdict == "rejected" && ours_word == "accept" {
                tally[4] += 1;
            }
            let reason = if agree {
                "-".to_owned()
            } else if k.verdict == "not loaded" {
                "the kernel cannot load it as the object stands (its loader sets an attach target, \
                 map sizes or autoload first): not compared"
                    .to_owned()
            } else if let Some(r) = reasons.get(&key) {
                used.insert(key.clone());
                r.clone()
            } else {
                unexplained.push(format!(
                    "{obj} {prog}: kernel {kernel_text}; bpfvet {ours_text}"
                ));
                "UNEXPLAINED".to_owned()
            };
            let _ = writeln!(
                rows,
                "{obj} | {prog} | {kernel_text} | {ours_text} | {reason}"
            );
        }
    }

    let mut table = format!(
        "# The real-world corpus (corpus/realworld/sources.json; fetched by scripts/fetch-realworld): \
         bpfvet check (newest profile, privileged) against the live kernel {build}.\n\
         # Kept by tests/realworld.rs; bless a reviewed change with BPFVET_BLESS=1.\n#\n\
         # origin: objects, programs | kernel accepts | bpfvet accepts of those | bpfvet accepts what the kernel rejects\n"
    );
    let mut total = [0usize; 5];
    for (origin, t) in &by_origin {
        for i in 0..5 {
            total[i] += t[i];
        }
        let _ = writeln!(
            table,
            "# {origin}: {} objects, {} programs | {} | {} | {}",
            t[0], t[1], t[2], t[3], t[4]
        );
    }
    let pct = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            100.0 * a as f64 / b as f64
        }
    };
    let _ = writeln!(
        table,
        "# all: {} objects, {} programs | {} | {} ({:.1} %) | {}",
        total[0],
        total[1],
        total[2],
        total[3],
        pct(total[3], total[2]),
        total[4]
    );
    let exit_text: Vec<String> = exits
        .iter()
        .map(|((cmd, c), n)| format!("{cmd} exit {c}: {n}"))
        .collect();
    let _ = writeln!(table, "# exit codes per object: {}", exit_text.join(", "));
    table.push_str("#\n# object | program | kernel | bpfvet | reason for any difference\n");
    table.push_str(&rows);

    let kept = columns::keep_table("snapshots/realworld/table.txt", table);
    let stale: Vec<String> = reasons
        .keys()
        .filter(|k| !used.contains(*k))
        .map(|(o, p)| format!("{o} {p}"))
        .collect();
    assert!(
        bad_exit.is_empty(),
        "bpfvet exits 2 on objects libbpf can load:\n{}",
        bad_exit.join("\n")
    );
    assert!(
        unexplained.is_empty(),
        "verdicts that differ from the kernel's with no reason in corpus/realworld/differences.txt:\n{}",
        unexplained.join("\n")
    );
    assert!(
        stale.is_empty(),
        "corpus/realworld/differences.txt explains differences that are gone: {stale:?}"
    );
    assert!(
        pct(total[3], total[2]) >= 99.0,
        "bpfvet accepts {} of the {} programs the kernel accepts ({:.1} %), under 99 %",
        total[3],
        total[2],
        pct(total[3], total[2])
    );
    kept.assert_unchanged();
}
