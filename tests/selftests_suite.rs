//! The kernel's own verifier tests as bpfvet's regression suite: every program of
//! `../shared/kernel-selftests/verifier/` and `verifier-v4/` (Linux 6.12's
//! `progs/verifier_*.c`, compiled; read from there, never copied into the project) run through
//! `bpfvet test`, beside the live kernel's verdict on it, in one committed table
//! (`snapshots/agreement/selftests.txt`), so every change in agreement shows up as a diff.
//!
//! - `selftests_kernel_column` keeps the live kernel's verdicts (`bpfvet kernel --format
//!   summary`) as the running build's column `snapshots/kernel/<release>/selftests.txt` (see
//!   `kernel_support/columns.rs`); it fails unless the kernel is available, except with
//!   `BPFVET_NO_KERNEL=1`, which it reports loudly.
//! - `selftests_kernel_unpriv_column` keeps the live kernel's unprivileged verdicts (`bpfvet
//!   kernel --unprivileged --format summary`) as `snapshots/kernel/<release>/selftests-unpriv.txt`,
//!   when bpf() and `kernel.unprivileged_bpf_disabled` (0, or 2 opened by root) allow.
//! - `selftests_agree_with_the_recorded_kernels` needs no kernel: it compares bpfvet with the
//!   annotations and every recorded build's verdicts, and fails when the table changes (bless
//!   a reviewed change with `BPFVET_BLESS=1`). Where the 6.12 annotation and the kernel differ,
//!   the kernel is the judge; the table marks those lines. It also compares `bpfvet check
//!   --unprivileged` with every recorded unprivileged column: a header line per build, the
//!   kernel's unprivileged verdict on each `unpriv` row, and one line per program the kernel
//!   judged unprivileged in `snapshots/agreement/selftests-unpriv.txt`.
//!
//! `bpfvet test` runs two objects as the kernel's harness (`prog_tests/verifier.c`) runs them,
//! with the map entry its pre-execution callback writes (`HARNESS_MAP_ENTRIES`, `--map`).
//!
//! Both fail when `../shared/kernel-selftests` is missing, unless `BPFVET_NO_SELFTESTS=1`.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use std::fmt::Write as _;
use std::path::PathBuf;

use kernel_support::{columns, kernel_or_skip, root};

/// The suite's directory, or `None` (after saying so loudly) when it may be absent.
fn suite() -> Option<PathBuf> {
    let dir = root().join("../shared/kernel-selftests");
    if dir.join("verifier").is_dir() {
        return Some(dir);
    }
    if std::env::var("BPFVET_NO_SELFTESTS").as_deref() == Ok("1") {
        columns::loud(&format!(
            "\n!!! {} is missing; BPFVET_NO_SELFTESTS=1 is set, nothing was checked\n",
            dir.display()
        ));
        return None;
    }
    panic!(
        "{} is missing: the kernel's verifier tests are read from there (set BPFVET_NO_SELFTESTS=1 to skip)",
        dir.display()
    );
}

/// `verifier/*.o` and `verifier-v4/*.o`, relative to the suite, sorted.
fn objects(suite: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["verifier", "verifier-v4"] {
        let Ok(rd) = std::fs::read_dir(suite.join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".o") {
                out.push(format!("{sub}/{name}"));
            }
        }
    }
    out.sort();
    out
}

use kernel_support::bpfvet_stdout as bpfvet;

#[test]
fn selftests_kernel_column() {
    let Some(suite) = suite() else { return };
    if !kernel_or_skip("selftests_kernel_column") {
        return;
    }
    let objs = objects(&suite);
    let text = format!(
        "# `bpfvet kernel --test-flags --format summary` over ../shared/kernel-selftests/verifier*/*.o on this kernel build (tests/selftests_suite.rs).\n{}",
        bpfvet(&suite, &["kernel", "--test-flags", "--format", "summary"], &objs)
    );
    columns::check("selftests", &text);
}

#[test]
fn selftests_kernel_unpriv_column() {
    let Some(suite) = suite() else { return };
    if !kernel_or_skip("selftests_kernel_unpriv_column") {
        return;
    }
    // The session is opened here too so a sysctl of 1 is reported, not failed on.
    let session = match bpfvet_oracle::unprivileged_session() {
        Ok(s) => s,
        Err(why) => {
            columns::loud(&format!(
                "\n!!! selftests_kernel_unpriv_column NOT RUN: {why}\n"
            ));
            return;
        }
    };
    let objs = objects(&suite);
    let text = format!(
        "# `bpfvet kernel --unprivileged --format summary` over ../shared/kernel-selftests/verifier*/*.o on this kernel build (tests/selftests_suite.rs).\n{}",
        bpfvet(&suite, &["kernel", "--unprivileged", "--format", "summary"], &objs)
    );
    drop(session);
    columns::check("selftests-unpriv", &text);
}

/// `bpfvet check --unprivileged` on every program: (object, program) to the verdict and the
/// first finding's kernel text.
fn unprivileged_verdicts(
    suite: &std::path::Path,
    objs: &[String],
) -> std::collections::BTreeMap<(String, String), (String, String)> {
    kernel_support::check_verdicts(&bpfvet(
        suite,
        &["check", "--unprivileged", "--format", "json"],
        objs,
    ))
}

#[derive(serde::Deserialize)]
struct Doc {
    tests: Vec<Test>,
}

#[derive(serde::Deserialize)]
struct Test {
    object: String,
    program: String,
    mode: String,
    result: String,
    verdict: Option<String>,
    expected: String,
    msgs: usize,
    #[serde(default)]
    notes: Vec<String>,
    #[serde(default)]
    finding: Option<String>,
}

use kernel_support::columns::{verdicts as kernel_verdicts, Verdicts};

/// The kernel's harness (`prog_tests/verifier.c`) runs two objects with a pre-execution
/// callback that writes `struct test_val { .index = 28, .foo[6] = 0xabcdef12 }` at key 0 of
/// one of their maps before every test run: (object file name, map name).
const HARNESS_MAP_ENTRIES: &[(&str, &str)] = &[
    ("verifier_array_access.o", "map_array_ro"),
    ("verifier_value_ptr_arith.o", "map_array_48b"),
];

/// That `struct test_val`, as `bpfvet test --map` takes it (48 bytes: the u32 index, then
/// eleven ints, the seventh 0xabcdef12).
fn harness_test_val() -> String {
    let mut v = [0u8; 48];
    v[..4].copy_from_slice(&28u32.to_le_bytes());
    v[28..32].copy_from_slice(&0xabcd_ef12u32.to_le_bytes());
    let hex: String = v.iter().map(|b| format!("{b:02x}")).collect();
    format!("0=0x{hex}")
}

/// `bpfvet test --both --format json` over `objs`, the harness's objects with their map
/// entries, in the order of `objs`.
fn test_doc(suite: &std::path::Path, objs: &[String]) -> Doc {
    let run = |extra: &[&str], objs: &[String]| -> Doc {
        let mut args = vec!["test", "--both", "--format", "json"];
        args.extend_from_slice(extra);
        serde_json::from_str(&bpfvet(suite, &args, objs)).expect("bpfvet test --format json parses")
    };
    let harnessed = |o: &String| {
        HARNESS_MAP_ENTRIES
            .iter()
            .find(|(f, _)| o.rsplit('/').next() == Some(*f))
    };
    let plain: Vec<String> = objs
        .iter()
        .filter(|o| harnessed(o).is_none())
        .cloned()
        .collect();
    let mut tests = run(&[], &plain).tests;
    let value = harness_test_val();
    for o in objs {
        if let Some((_, map)) = harnessed(o) {
            tests.extend(run(&["--map", map, &value], std::slice::from_ref(o)).tests);
        }
    }
    let at = |t: &Test| objs.iter().position(|o| *o == t.object);
    tests.sort_by_key(at);
    Doc { tests }
}

#[test]
fn selftests_agree_with_the_recorded_kernels() {
    let Some(suite) = suite() else { return };
    let objs = objects(&suite);
    let doc = test_doc(&suite, &objs);
    let recorded: Vec<(String, Verdicts)> = columns::recorded("selftests")
        .into_iter()
        .map(|(b, c)| (b, kernel_verdicts(&c)))
        .collect();
    assert!(
        !recorded.is_empty(),
        "no recorded build has a selftests column under snapshots/kernel/"
    );
    // The newest recorded build's final log lines judge the messages.
    let newest = columns::recorded("selftests")
        .into_iter()
        .next_back()
        .map(|(_, c)| reasons(&c))
        .unwrap_or_default();
    let newest_verdicts = recorded.last().map(|(_, v)| v.clone()).unwrap_or_default();
    // And the newest unprivileged column's lines judge the unprivileged messages.
    let newest_unpriv = columns::recorded("selftests-unpriv")
        .into_iter()
        .next_back()
        .map(|(_, c)| reasons(&c))
        .unwrap_or_default();
    let mut classes: std::collections::BTreeMap<&'static str, usize> = Default::default();
    let recorded_unpriv: Vec<(String, Verdicts)> = columns::recorded("selftests-unpriv")
        .into_iter()
        .map(|(b, c)| (b, kernel_verdicts(&c)))
        .collect();
    let mut table = String::new();
    let mut head = String::new();
    for (build, kernel) in &recorded {
        let (mut k_acc, mut b_acc, mut k_rej, mut unsound) = (0, 0, 0, Vec::new());
        for t in doc.tests.iter().filter(|t| t.mode == "priv") {
            let Some(k) = kernel.get(&(t.object.clone(), t.program.clone())) else {
                continue;
            };
            let ours = t.verdict.as_deref();
            match k.as_str() {
                "accepted" => {
                    k_acc += 1;
                    b_acc += usize::from(ours == Some("accept"));
                }
                "rejected" => {
                    k_rej += 1;
                    if ours == Some("accept") {
                        unsound.push(format!("{} {}", t.object, t.program));
                    }
                }
                _ => {}
            }
        }
        let _ = writeln!(
            head,
            "kernel {build}: bpfvet (newest profile) accepts {b_acc} of the {k_acc} programs it accepts ({:.1}%) and {} of the {k_rej} it rejects (unsound accepts where the build is the newest)",
            b_acc as f64 * 100.0 / k_acc.max(1) as f64,
            unsound.len()
        );
    }
    let priv_fail_msgs: Vec<&Test> = doc
        .tests
        .iter()
        .filter(|t| t.mode == "priv" && t.expected == "reject" && t.msgs > 0)
        .collect();
    let met = priv_fail_msgs
        .iter()
        .filter(|t| t.verdict.is_some() && !t.notes.iter().any(|n| n.starts_with("message ")))
        .count();
    let reworded = priv_fail_msgs
        .iter()
        .filter(|t| {
            let key = (t.object.clone(), t.program.clone());
            reason_class(
                t,
                newest_verdicts.get(&key).map(String::as_str),
                newest.get(&key).map(String::as_str),
                false,
            ) == Some(REWORDED)
        })
        .count();
    let count = |r: &str| doc.tests.iter().filter(|t| t.result == r).count();
    let _ = writeln!(
        head,
        "bpfvet test --both: {} passed, {} failed, {} skipped; __msg of privileged failure tests met on {met} of {} ({:.1}%)",
        count("pass"),
        count("fail"),
        count("skip"),
        priv_fail_msgs.len(),
        met as f64 * 100.0 / priv_fail_msgs.len().max(1) as f64
    );
    let _ = writeln!(
        head,
        "__msg not met where the newest kernel's own final line differs from the 6.12 annotation and bpfvet prints the kernel's line: {reworded} (met or worded as the kernel: {} of {}, {:.1}%)",
        met + reworded,
        priv_fail_msgs.len(),
        (met + reworded) as f64 * 100.0 / priv_fail_msgs.len().max(1) as f64
    );
    for t in &doc.tests {
        let key = (t.object.clone(), t.program.clone());
        let columns = if t.mode == "priv" {
            &recorded
        } else {
            &recorded_unpriv
        };
        let kernel: Vec<String> = columns
            .iter()
            .map(|(b, k)| format!("{b}={}", k.get(&key).map_or("-", String::as_str)))
            .collect();
        let judged_by_kernel = t.mode == "priv"
            && recorded.iter().any(|(_, k)| {
                k.get(&key).is_some_and(|v| {
                    (v == "accepted") != (t.expected == "accept") && v != "refused"
                })
            });
        // The recorded verdicts are the privileged loads'; the final lines are each mode's own.
        let is_priv = t.mode == "priv";
        let lines = if is_priv { &newest } else { &newest_unpriv };
        let class = reason_class(
            t,
            newest_verdicts
                .get(&key)
                .filter(|_| is_priv)
                .map(String::as_str),
            lines.get(&key).map(String::as_str),
            judged_by_kernel,
        );
        if let Some(c) = class {
            *classes.entry(c).or_default() += 1;
        }
        let _ = writeln!(
            table,
            "{} {} {}: expects {}{}, bpfvet {} [{}]{}{}{}",
            t.object,
            t.program,
            t.mode,
            t.expected,
            if kernel.is_empty() {
                String::new()
            } else {
                format!(", kernel {}", kernel.join(" "))
            },
            t.verdict.as_deref().unwrap_or("-"),
            t.result,
            if judged_by_kernel {
                " ANNOTATION-DIFFERS-FROM-KERNEL"
            } else {
                ""
            },
            if t.result == "pass" {
                String::new()
            } else {
                format!(": {}", t.notes.join("; "))
            },
            class.map_or(String::new(), |c| format!(" [reason: {c}]"))
        );
    }
    let summary: Vec<String> = classes.iter().map(|(c, n)| format!("{n} {c}")).collect();
    let _ = writeln!(head, "fail rows by reason: {}", summary.join("; "));
    let (unpriv_head, unpriv_table, unpriv_unsound) =
        columns::unprivileged_table(&unprivileged_verdicts(&suite, &objs), &recorded_unpriv);
    head.push_str(&unpriv_head);
    columns::loud(&head);
    compare_table("selftests.txt", &format!("{head}\n{table}"));
    compare_table(
        "selftests-unpriv.txt",
        &format!("{unpriv_head}\n{unpriv_table}"),
    );
    assert!(
        unpriv_unsound.is_empty(),
        "bpfvet --unprivileged accepts selftests the kernel rejects unprivileged:\n{}",
        unpriv_unsound.join("\n")
    );
}

/// Fails when `snapshots/agreement/NAME` differs from `text` (`BPFVET_BLESS=1` rewrites it).
fn compare_table(name: &str, text: &str) {
    columns::keep_table(&format!("snapshots/agreement/{name}"), text.to_owned()).assert_unchanged();
}

/// The final log line of each program of a `bpfvet kernel --format summary` column
/// (`OBJECT PROGRAM (TYPE): rejected (ERRNO): LINE [insns ...]`).
fn reasons(column: &str) -> std::collections::BTreeMap<(String, String), String> {
    column
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (id, rest) = l.split_once(" (")?;
            let (object, program) = id.split_once(' ')?;
            let after = rest.split_once("): ")?.1;
            let line = after.split_once("): ")?.1;
            let line = line.rsplit_once(" [insns").map_or(line, |(a, _)| a);
            Some(((object.to_owned(), program.to_owned()), line.to_owned()))
        })
        .collect()
}

const REWORDED: &str =
    "kernel wording changed since 6.12: bpfvet prints the newest kernel's final line";

/// Every unmet message is found once its `_w` liveness marks are dropped: 6.18's logs have
/// none (none of the live kernel's recorded logs does), so no 6.18 kernel meets them either.
const WRITE_MARKS: &str =
    "kernel log format changed since 6.12: the annotation's `_w` write marks are not printed by 6.18 (found without them)";

/// Text with its numbers replaced, so lines compare "numbers aside".
fn numbers_aside(text: &str) -> String {
    let mut out = String::new();
    let mut in_num = false;
    for c in text.chars() {
        let digit = c.is_ascii_hexdigit() && (in_num || c.is_ascii_digit());
        if digit || (in_num && c == 'x') {
            if !in_num {
                out.push('#');
            }
            in_num = true;
        } else {
            in_num = false;
            out.push(c);
        }
    }
    out
}

/// Why a test that did not pass differs, as one short class (`None` for a pass or skip).
/// `kernel` and `line` are the newest recorded build's verdict and final log line.
fn reason_class(
    t: &Test,
    kernel: Option<&str>,
    line: Option<&str>,
    judged_by_kernel: bool,
) -> Option<&'static str> {
    if t.result != "fail" {
        return None;
    }
    let ours = t.verdict.as_deref();
    let kernel_says = |v: &str| match v {
        "accepted" => Some("accept"),
        "rejected" => Some("reject"),
        _ => None,
    };
    let agrees = kernel
        .and_then(kernel_says)
        .is_some_and(|k| Some(k) == ours);
    if judged_by_kernel && agrees && !t.notes.iter().any(|n| n.starts_with("message ")) {
        return Some(
            "the kernel's verdict differs from the 6.12 annotation; bpfvet agrees with the kernel",
        );
    }
    if ours.is_none() {
        return Some(if t.notes.iter().any(|n| n.contains("unsupported")) {
            "bpfvet does not support a feature the program uses"
        } else {
            "bpfvet could not run the test"
        });
    }
    if t.mode == "priv" && kernel == Some("refused") {
        return Some(
            "the kernel refuses the object on this machine (map creation): no live verdict",
        );
    }
    match (ours, kernel.and_then(kernel_says)) {
        (Some("accept"), Some("reject")) => {
            return Some("UNSOUND: bpfvet accepts what the kernel rejects")
        }
        (Some("reject"), Some("accept")) => {
            return Some(if t.finding.is_none() {
                "bpfvet does not support a feature the program uses"
            } else {
                "false rejection: bpfvet rejects what the kernel accepts"
            })
        }
        _ => {}
    }
    if ours != Some(t.expected.as_str()) {
        return Some("verdict differs from the annotation (no live kernel verdict for this mode)");
    }
    if t.notes
        .iter()
        .any(|n| n.contains("expected retval") || n.contains("retval "))
    {
        return Some("runtime does not reproduce the kernel's test run");
    }
    let Some(missing) = t.notes.iter().find_map(|n| {
        n.starts_with("message ")
            .then(|| n.split_once(": ").map_or("", |(_, m)| m).trim_matches('"'))
    }) else {
        return Some("other");
    };
    let unmet: Vec<&String> = t
        .notes
        .iter()
        .filter(|n| n.starts_with("message "))
        .collect();
    if unmet
        .iter()
        .all(|n| n.ends_with("as 6.18 and bpfvet print the state)"))
    {
        return Some(WRITE_MARKS);
    }
    let state_line = missing.contains("mark_precise")
        || missing.contains("regs=")
        || missing.contains("stack=")
        || missing
            .split_once(": ")
            .is_some_and(|(n, _)| n.trim().parse::<u32>().is_ok())
        || missing.starts_with('*')
        || missing.starts_with(": R");
    if state_line {
        return Some("log-level-2 detail (instruction, state or precision lines) bpfvet's log does not reproduce");
    }
    if let (Some(line), Some(finding)) = (line, &t.finding) {
        let last = finding.lines().last().unwrap_or("");
        if !missing.contains("{{")
            && !line.contains(missing)
            && numbers_aside(last) == numbers_aside(line)
        {
            return Some(REWORDED);
        }
    }
    Some("bpfvet's message differs from the kernel's")
}
