//! Kernel profiles against real kernels: `bpfvet check --kernel X.Y` compared, program by
//! program, with every recorded kernel build of release X.Y (`snapshots/kernel/<build>/`),
//! without a kernel. Today's recorded builds are Debian's 6.1 and 6.12 (booted under QEMU by
//! `scripts/kernel-oracle`) and the machines' 6.18.
//!
//! For each build the table `snapshots/agreement/profiles.txt` gives, on the corpus and on the
//! kernel's selftests, how many of the programs the kernel accepts bpfvet accepts under that
//! release's profile, how many it accepts that the kernel rejects, and every program where
//! they differ. Programs the kernel refused before its verifier ran (an attach target or a
//! configuration the build lacks), and corpus programs the manifest files as `refused` (their
//! verdict depends on the build's configuration: `fmod_ret` needs the target on the
//! error-injection list), are left out: no profile can predict them.
//!
//! It also checks `--min-kernel` on the corpus and on the selftests: the release it names for a
//! program must be newer than every recorded release whose kernel rejects that program (on the
//! selftests, but for a rejection `corpus/profile-differences.txt` puts down to the build's
//! configuration).
//!
//! Two properties are asserted, beyond the table being unchanged (bless a reviewed change with
//! `BPFVET_BLESS=1`): no corpus program is accepted by a profile whose kernel rejects it, and
//! `--min-kernel` never names a release older than a rejecting kernel.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

use bpfvet_analyzer::verifier::env::KernelVersion;
use bpfvet_analyzer::verifier::profiles::PROFILES;
use kernel_support::{columns, manifest, root};

/// Corpus programs whose verdict depends on the kernel's configuration, not its release.
fn config_dependent() -> BTreeSet<(String, String)> {
    manifest()["programs"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["expectation"] == "refused")
        .map(|p| {
            (
                p["object"].as_str().unwrap_or_default().to_owned(),
                p["program"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

use kernel_support::columns::{verdicts as kernel_verdicts, Verdicts};

/// The profile for a build's release (`6.1.0-57-cloud-amd64` → 6.1), if bpfvet has one.
fn profile_of(build: &str) -> Option<KernelVersion> {
    let mut parts = build.split(['.', '-', '+']);
    let major = parts.next()?.parse().ok()?;
    let minor = parts.next()?.parse().ok()?;
    let v = KernelVersion::new(major, minor);
    PROFILES.contains(&v).then_some(v)
}

/// bpfvet's verdict (`accept`/`reject`) and `--min-kernel` answer by (object, program).
struct Ours {
    verdict: BTreeMap<(String, String), String>,
    min_kernel: BTreeMap<(String, String), String>,
}

fn bpfvet(dir: &Path, args: &[String], objects: &BTreeSet<String>) -> Ours {
    run_check(dir, args, objects, false)
}

/// `bpfvet check` over `objects`; `errors_ok` lets it exit 2 (some object it cannot read: the
/// others' verdicts are still in the report).
fn run_check(dir: &Path, args: &[String], objects: &BTreeSet<String>, errors_ok: bool) -> Ours {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(dir)
        .args(args)
        .args(["--format", "json"])
        .args(objects)
        .output()
        .expect("run bpfvet");
    assert!(
        matches!(out.status.code(), Some(0 | 1)) || (errors_ok && out.status.code() == Some(2)),
        "bpfvet {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("check json");
    let mut ours = Ours {
        verdict: BTreeMap::new(),
        min_kernel: BTreeMap::new(),
    };
    for o in doc["objects"].as_array().into_iter().flatten() {
        let path = o["path"].as_str().unwrap_or_default();
        for p in o["programs"].as_array().into_iter().flatten() {
            let key = (
                path.to_owned(),
                p["name"].as_str().unwrap_or_default().to_owned(),
            );
            if let Some(v) = p["verdict"].as_str() {
                ours.verdict.insert(key.clone(), v.to_owned());
            }
            if let Some(m) = p["min_kernel"].as_str() {
                ours.min_kernel.insert(key, m.to_owned());
            }
        }
    }
    ours
}

/// What one comparison of a profile with a build found.
#[derive(Default)]
struct Tally {
    kernel_accepts: usize,
    both_accept: usize,
    kernel_rejects: usize,
    unsound: Vec<String>,
    too_strict: Vec<String>,
}

fn compare(kernel: &Verdicts, ours: &Ours) -> Tally {
    let mut t = Tally::default();
    for (key, word) in kernel {
        let Some(v) = ours.verdict.get(key) else {
            continue;
        };
        let id = format!("{} {}", key.0, key.1);
        match word.as_str() {
            "accepted" => {
                t.kernel_accepts += 1;
                if v == "accept" {
                    t.both_accept += 1;
                } else {
                    t.too_strict.push(id);
                }
            }
            "rejected" => {
                t.kernel_rejects += 1;
                if v == "accept" {
                    t.unsound.push(id);
                }
            }
            _ => {}
        }
    }
    t
}

fn summary(set: &str, build: &str, profile: KernelVersion, t: &Tally) -> String {
    format!(
        "{set}, kernel {build} against --kernel {profile}: bpfvet accepts {} of the {} programs the kernel accepts ({:.1}%) and {} of the {} it rejects",
        t.both_accept,
        t.kernel_accepts,
        t.both_accept as f64 * 100.0 / t.kernel_accepts.max(1) as f64,
        t.unsound.len(),
        t.kernel_rejects
    )
}

fn details(out: &mut String, set: &str, build: &str, t: &Tally) {
    for id in &t.unsound {
        let _ = writeln!(out, "{set} {build}: {id}: kernel rejects, bpfvet accepts");
    }
    for id in &t.too_strict {
        let _ = writeln!(out, "{set} {build}: {id}: kernel accepts, bpfvet rejects");
    }
}

/// The release `--min-kernel` names must be newer than every recorded release whose kernel
/// rejects the program; returns the programs where it is not.
fn min_kernel_too_old(builds: &[(String, KernelVersion, Verdicts)], ours: &Ours) -> Vec<String> {
    let mut bad = Vec::new();
    for (key, named) in &ours.min_kernel {
        let named = named
            .split_once('.')
            .and_then(|(a, b)| Some(KernelVersion::new(a.parse().ok()?, b.parse().ok()?)));
        for (build, release, kernel) in builds {
            if kernel.get(key).map(String::as_str) != Some("rejected") {
                continue;
            }
            if named.is_some_and(|n| n <= *release) {
                bad.push(format!(
                    "{} {}: --min-kernel names {} but kernel {build} rejects it",
                    key.0,
                    key.1,
                    named.map(|n| n.to_string()).unwrap_or_default()
                ));
            }
        }
    }
    bad
}

#[test]
fn profiles_agree_with_the_recorded_kernels() {
    let root = root();
    let skip = config_dependent();
    let corpus: Vec<(String, KernelVersion, Verdicts)> = columns::recorded("corpus")
        .into_iter()
        .filter_map(|(b, c)| {
            let mut verdicts = kernel_verdicts(&c);
            verdicts.retain(|key, _| !skip.contains(key));
            Some((b.clone(), profile_of(&b)?, verdicts))
        })
        .collect();
    assert!(
        corpus.len() >= 2,
        "fewer than two recorded builds have a corpus column under snapshots/kernel/"
    );
    let mut head = String::new();
    let mut body = String::new();
    let mut unsound = Vec::new();
    let reasons = listed_reasons();
    let mut used = BTreeSet::new();

    for (build, profile, kernel) in &corpus {
        let objects: BTreeSet<String> = kernel.keys().map(|(o, _)| o.clone()).collect();
        let ours = bpfvet(&root, &profile_args(build, *profile), &objects);
        let t = compare(kernel, &ours);
        let _ = writeln!(head, "{}", summary("corpus", build, *profile, &t));
        details(&mut body, "corpus", build, &t);
        unsound.extend(t.unsound.iter().map(|id| format!("{build}: {id}")));
    }

    // --min-kernel over the corpus objects that some recorded kernel rejects.
    let rejected: BTreeSet<String> = corpus
        .iter()
        .flat_map(|(_, _, k)| k.iter())
        .filter(|(_, w)| w.as_str() == "rejected")
        .map(|((o, _), _)| o.clone())
        .collect();
    let ours = bpfvet(&root, &["check".into(), "--min-kernel".into()], &rejected);
    let too_old = min_kernel_too_old(&corpus, &ours);
    let _ = writeln!(
        head,
        "corpus --min-kernel: over the {} programs of objects some recorded kernel rejects, it names a release no newer than a rejecting kernel for {}",
        ours.min_kernel.len(),
        too_old.len()
    );
    for line in &too_old {
        let _ = writeln!(body, "corpus --min-kernel: {line}");
    }

    // The kernel's selftests, where a build has their column.
    let suite = root.join("../shared/kernel-selftests");
    let too_old_selftests;
    if suite.join("verifier").is_dir() {
        let mut builds = Vec::new();
        for (build, column) in columns::recorded("selftests") {
            let Some(profile) = profile_of(&build) else {
                continue;
            };
            let kernel = kernel_verdicts(&column);
            let objects: BTreeSet<String> = kernel.keys().map(|(o, _)| o.clone()).collect();
            let ours = bpfvet(&suite, &profile_args(&build, profile), &objects);
            let mut t = compare(&kernel, &ours);
            let listed = set_apart(&mut t, &build, &reasons, &mut used);
            let _ = writeln!(
                head,
                "{}",
                summary_listed("selftests", &build, profile, &t, &listed)
            );
            details(&mut body, "selftests", &build, &t);
            details_listed(&mut body, "selftests", &build, &listed);
            builds.push((build, profile, kernel));
        }
        too_old_selftests = selftests_min_kernel(&suite, &builds, &reasons, &mut used, &mut head);
        for line in &too_old_selftests {
            let _ = writeln!(body, "selftests --min-kernel: {line}");
        }
    } else {
        columns::loud(&format!(
            "\n!!! {} is missing: the selftests rows of the profiles table were not computed\n",
            suite.display()
        ));
        return;
    }

    let mut realworld_failures = realworld(&mut head, &mut body, &mut unsound, &reasons, &mut used);
    realworld_failures.extend(
        reasons
            .keys()
            .filter(|k| !used.contains(*k))
            .map(|(b, o, p)| format!("corpus/profile-differences.txt lists a difference that is gone (remove the line): {b} {o} {p}")),
    );

    columns::loud(&head);
    let text = format!("{head}\n{body}");
    let kept = columns::keep_table("snapshots/agreement/profiles.txt", text);
    assert!(
        unsound.is_empty(),
        "a profile accepts corpus or real-world programs its kernel rejects:\n{}",
        unsound.join("\n")
    );
    assert!(
        realworld_failures.is_empty(),
        "{}",
        realworld_failures.join("\n")
    );
    assert!(
        too_old.is_empty() && too_old_selftests.is_empty(),
        "--min-kernel names a release whose kernel rejects the program:\n{}\n{}",
        too_old.join("\n"),
        too_old_selftests.join("\n")
    );
    kept.assert_unchanged();
}

/// `--min-kernel` (with `--test-flags`) over the selftests objects some recorded build
/// rejects: the release it names must be newer than each rejecting build's, except where
/// `corpus/profile-differences.txt` lists the build's rejection as its configuration's (no
/// release answer can see it). Writes the summary line; returns the programs where it is not.
fn selftests_min_kernel(
    suite: &Path,
    builds: &[(String, KernelVersion, Verdicts)],
    reasons: &Reasons,
    used: &mut BTreeSet<(String, String, String)>,
    head: &mut String,
) -> Vec<String> {
    let rejected: BTreeSet<String> = builds
        .iter()
        .flat_map(|(_, _, k)| k.iter())
        .filter(|(_, w)| w.as_str() == "rejected")
        .map(|((o, _), _)| o.clone())
        .collect();
    let args: Vec<String> = ["check", "--min-kernel", "--test-flags"]
        .map(String::from)
        .to_vec();
    let ours = bpfvet(suite, &args, &rejected);
    let mut listed = 0;
    let mut too_old = Vec::new();
    for (build, release, kernel) in builds {
        let one = [(build.clone(), *release, kernel.clone())];
        for line in min_kernel_too_old(&one, &ours) {
            let mut words = line.split(' ');
            let (obj, prog) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
            let prog = prog.trim_end_matches(':');
            let key = (build.clone(), obj.to_owned(), prog.to_owned());
            if reasons.contains_key(&key) {
                used.insert(key);
                listed += 1;
            } else {
                too_old.push(line);
            }
        }
    }
    let _ = writeln!(
        head,
        "selftests --min-kernel: over the {} programs of objects some recorded kernel rejects, it names a release no newer than a rejecting kernel for {} (and {listed} more listed in corpus/profile-differences.txt)",
        ours.min_kernel.len(),
        too_old.len()
    );
    too_old
}

/// `check --test-flags --kernel=PROFILE`, with the build's configuration where it is recorded
/// (`snapshots/kernel/<build>/kernel-config.txt`, tests/kernel_build_column.rs): what the build
/// leaves out (lockdown, `CONFIG_BPF_KPROBE_OVERRIDE`, `CONFIG_FUNCTION_ERROR_INJECTION`) is
/// then refused as that build refuses it.
fn profile_args(build: &str, profile: KernelVersion) -> Vec<String> {
    // Selftests load with their `__flag(...)` flags, as the kernel columns were recorded.
    let mut args = vec![
        "check".to_owned(),
        "--test-flags".to_owned(),
        format!("--kernel={profile}"),
    ];
    let config = columns::columns_dir().join(build).join("kernel-config.txt");
    if config.exists() {
        args.push(format!("--kernel-config={}", config.display()));
    }
    args
}

/// `corpus/profile-differences.txt`: `BUILD OBJECT PROGRAM: reason` for each program of the
/// selftests or the real-world corpus that a build's kernel rejects and bpfvet's profile for
/// its release accepts, for a reason no profile can see (the build's configuration, its BTF).
type Reasons = BTreeMap<(String, String, String), String>;

fn listed_reasons() -> Reasons {
    let text = std::fs::read_to_string(root().join("corpus/profile-differences.txt"))
        .expect("corpus/profile-differences.txt");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (key, why) = l.split_once(": ")?;
            let mut it = key.splitn(3, ' ');
            let (build, obj, prog) = (it.next()?, it.next()?, it.next()?);
            Some((
                (build.to_owned(), obj.to_owned(), prog.to_owned()),
                why.to_owned(),
            ))
        })
        .collect()
}

/// The real-world corpus (`scripts/fetch-realworld`'s cache) against every build that has its
/// column: the share of accepted programs bpfvet's profile accepts must be at least 99 %, and
/// a program the kernel rejects and the profile accepts must be listed with its reason (it then
/// stays out of `unsound`). Without the cache the rows are left out, loudly.
fn realworld(
    head: &mut String,
    body: &mut String,
    unsound: &mut Vec<String>,
    reasons: &Reasons,
    used: &mut BTreeSet<(String, String, String)>,
) -> Vec<String> {
    let dir = std::env::var_os("BPFVET_REALWORLD_DIR")
        .map(std::path::PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME")
                .map(|h| std::path::PathBuf::from(h).join(".cache/bpfvet-realworld"))
        });
    let Some(dir) = dir.filter(|d| d.join("COMPLETE").is_file()) else {
        columns::loud(
            "\n!!! the real-world corpus is not fetched (scripts/fetch-realworld): the realworld rows of the profiles table were not computed\n",
        );
        return Vec::new();
    };
    let mut low = Vec::new();
    for (build, column) in columns::recorded("realworld") {
        let Some(profile) = profile_of(&build) else {
            continue;
        };
        let kernel = kernel_verdicts(&column);
        // Only objects one of whose programs reached the verifier; an executable's embedded
        // objects (`FILE!0xOFFSET`) are checked through the executable.
        let objects: BTreeSet<String> = kernel
            .iter()
            .filter(|(_, w)| matches!(w.as_str(), "accepted" | "rejected"))
            .map(|((o, _), _)| o.split('!').next().unwrap_or(o).to_owned())
            .collect();
        let ours = run_check(&dir, &profile_args(&build, profile), &objects, true);
        let mut t = compare(&kernel, &ours);
        let listed = set_apart(&mut t, &build, reasons, used);
        let _ = writeln!(
            head,
            "{}",
            summary_listed("realworld", &build, profile, &t, &listed)
        );
        details(body, "realworld", &build, &t);
        details_listed(body, "realworld", &build, &listed);
        unsound.extend(t.unsound.iter().map(|id| format!("{build}: {id}")));
        if t.both_accept * 100 < t.kernel_accepts * 99 {
            low.push(summary("realworld", &build, profile, &t));
        }
    }
    low.into_iter()
        .map(|l| format!("a profile accepts fewer than 99 % of the real-world programs its kernel accepts: {l}"))
        .collect()
}

/// Moves the unsound programs `reasons` lists for `build` out of `t.unsound`, returned as
/// `id: reason` lines.
fn set_apart(
    t: &mut Tally,
    build: &str,
    reasons: &Reasons,
    used: &mut BTreeSet<(String, String, String)>,
) -> Vec<String> {
    let mut listed = Vec::new();
    t.unsound.retain(|id| {
        let (obj, prog) = id.split_once(' ').unwrap_or((id, ""));
        let key = (build.to_owned(), obj.to_owned(), prog.to_owned());
        match reasons.get(&key) {
            Some(why) => {
                listed.push(format!("{id}: {why}"));
                used.insert(key);
                false
            }
            None => true,
        }
    });
    listed
}

/// The summary line, the listed programs counted apart.
fn summary_listed(
    set: &str,
    build: &str,
    profile: KernelVersion,
    t: &Tally,
    listed: &[String],
) -> String {
    let mut line = summary(set, build, profile, t);
    if !listed.is_empty() {
        let _ = write!(
            line,
            " (and {} more listed in corpus/profile-differences.txt)",
            listed.len()
        );
    }
    line
}

fn details_listed(out: &mut String, set: &str, build: &str, listed: &[String]) {
    for l in listed {
        let _ = writeln!(
            out,
            "{set} {build}: {l} (kernel rejects, bpfvet accepts: listed)"
        );
    }
}
