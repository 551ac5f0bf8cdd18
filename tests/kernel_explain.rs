//! How diffable `bpfvet explain --format kernel` is against a real verifier log: for small
//! accepted corpus programs, the kernel's log level 2 and bpfvet's kernel-syntax explanation
//! are reduced to the lines both can print (instruction lines with their `; state`, path-start
//! states, `from X to Y:` lines, source lines, `safe`), map addresses replaced by one token, and
//! compared with a line diff. The number of identical lines per program is the table
//! `snapshots/agreement/explain_kernel.txt`.
//!
//! `kernel_explain_logs_column` keeps the live kernel's reduced logs as the running build's
//! column (`snapshots/kernel/<release>/explain_logs.txt`, see `kernel_support/columns.rs`); it
//! fails unless the kernel is available, except with `BPFVET_NO_KERNEL=1`, which it reports
//! loudly. `explain_kernel_syntax_matches_real_logs` compares bpfvet with every recorded
//! build's logs, without a kernel, and fails when the table changes (bless a reviewed change
//! with `BPFVET_BLESS=1`) or a build's agreement drops below the floor.
//!
//! Known, named sources of difference: the kernel adds states at prune points only after a few
//! jumps and instructions since the last one, so it explores some suffixes bpfvet prunes;
//! pointer and scalar ids are numbered differently; the kernel tracks 32-bit spills of scalars
//! and precision marks, which bpfvet does not print.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use bpfvet_analyzer::cfg;
use bpfvet_analyzer::diagnostics::explain::{Explainer, Syntax};
use bpfvet_analyzer::diagnostics::kernel_log;
use bpfvet_analyzer::elf;
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input, Options};
use bpfvet_analyzer::verifier::verify_observed;
use bpfvet_oracle::{LogLevel, Outcome, VerifyOptions};
use kernel_support::{columns, kernel_btf_once, kernel_or_skip, kernel_verdict, manifest, root};
use std::fmt::Write as _;

/// Programs larger than this (in slots) are left out: their level-2 logs run to megabytes.
const MAX_SLOTS: u64 = 300;

/// Logs longer than this (comparable lines) are left out too: loops walked iteration by
/// iteration, where a line diff costs more than it tells.
const MAX_LINES: usize = 1500;

/// The share of the kernel's comparable lines bpfvet must reproduce exactly, in percent.
const FLOOR_PERCENT: usize = 60;

/// Whether a log line is one bpfvet's kernel syntax also prints.
fn comparable(l: &str) -> bool {
    if l.starts_with("from ") || l.starts_with("; ") {
        return true;
    }
    let Some((n, rest)) = l.split_once(':') else {
        return false;
    };
    !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
        && (rest.starts_with(" (")
            || rest.starts_with(" R")
            || rest.starts_with(" fp")
            || rest.starts_with(" frame")
            || rest == " safe"
            || rest.is_empty())
}

/// A map's address (kernel) or name (bpfvet) after `lddw`: one token for both.
fn normalize(l: &str) -> String {
    if let Some(at) = l.find(": (18) r") {
        if let Some(eq) = l[at..].find(" = ") {
            let start = at + eq + 3;
            let end = l[start..].find(' ').map_or(l.len(), |e| start + e);
            let token = &l[start..end];
            let is_map =
                token.starts_with("map[") || (token.starts_with("0xffff") && token.len() == 18);
            if is_map {
                // The padding before `;` follows the replaced text's length: drop it too.
                let rest = l[end..].trim_start();
                let sep = if rest.is_empty() { "" } else { " " };
                return format!("{}MAP{sep}{rest}", &l[..start]);
            }
        }
    }
    l.to_string()
}

/// The comparable lines of `log`, normalized. Where the kernel's precision tracking logged
/// `mark_precise:` lines between a call and the state after it, the kernel prints that state
/// on a line of its own (`11: R0=...`) rather than after the call (`10: (85) call ... ; R0=...`);
/// whether it does depends on the machine (the same kernel release printed both), so the two
/// are joined here into the form it prints without them.
fn reduce(log: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut precise_since_last = false;
    for l in log.lines() {
        if l.starts_with("mark_precise:") {
            precise_since_last = true;
            continue;
        }
        if !comparable(l) {
            continue;
        }
        let split_state = precise_since_last
            .then(|| out.last())
            .flatten()
            .and_then(|call| call_state_split(call, l));
        precise_since_last = false;
        match split_state {
            Some(state) => {
                let call = out.pop().unwrap_or_default();
                let pad = kernel_log::state_padding(call.len());
                out.push(format!("{call}{:pad$}; {state}", ""));
            }
            None => out.push(normalize(l)),
        }
    }
    out
}

/// The state of `line` when it is the state after the call `call` printed on its own line
/// (`call` is `N: (85) call ...` with no state, `line` is `N+1: R...`).
fn call_state_split<'a>(call: &str, line: &'a str) -> Option<&'a str> {
    let (n, rest) = call.split_once(": (85) call ")?;
    if rest.contains(';') {
        return None;
    }
    let next = n.parse::<u32>().ok()? + 1;
    let state = line.strip_prefix(&format!("{next}: "))?;
    state.starts_with('R').then_some(state)
}

/// Identical lines of the two sequences, in order (a longest common subsequence by diff).
fn identical(kernel: &[String], ours: &[String]) -> usize {
    let k: Vec<&str> = kernel.iter().map(String::as_str).collect();
    let o: Vec<&str> = ours.iter().map(String::as_str).collect();
    similar::capture_diff_slices(similar::Algorithm::Myers, &k, &o)
        .iter()
        .map(|op| match op {
            similar::DiffOp::Equal { len, .. } => *len,
            _ => 0,
        })
        .sum()
}

/// The accepted corpus programs small enough to compare: (object, program).
fn comparable_programs() -> Vec<(String, String)> {
    manifest()["programs"]
        .as_array()
        .expect("programs")
        .iter()
        .filter(|p| {
            p["expectation"] == "accept"
                && p["legacy_maps"] != true
                && p["insn_slots"].as_u64().unwrap_or(u64::MAX) <= MAX_SLOTS
        })
        .map(|p| {
            (
                p["object"].as_str().unwrap_or("").to_owned(),
                p["program"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The live kernel's level-2 logs of the comparable programs it accepts, reduced, kept as the
/// running build's column `snapshots/kernel/<release>/explain_logs.txt`: `## OBJECT PROGRAM`
/// and the reduced lines below it.
#[test]
fn kernel_explain_logs_column() {
    if !kernel_or_skip("kernel_explain_logs_column") {
        return;
    }
    let root = root();
    let opts = VerifyOptions::new(LogLevel::Verbose, true);
    let mut column = String::from(
        "# Level-2 verifier logs of accepted corpus programs on this kernel build, reduced to the \
         lines `explain --format kernel` prints (tests/kernel_explain.rs).\n",
    );
    for (object, name) in comparable_programs() {
        let bytes = std::fs::read(root.join(&object)).expect("object");
        let Some(v) = kernel_verdict(&bytes, &object, &name, &opts) else {
            continue;
        };
        let (Outcome::Accepted, Some(log)) = (&v.outcome, v.log.as_deref()) else {
            continue;
        };
        let k = reduce(log);
        if k.len() > MAX_LINES {
            let _ = writeln!(column, "## {object} {name}: too long ({} lines)", k.len());
            continue;
        }
        let _ = writeln!(column, "## {object} {name}");
        for l in k {
            let _ = writeln!(column, "{l}");
        }
    }
    columns::check("explain_logs", &column);
}

/// bpfvet's explanation of `name` in the kernel's syntax, reduced like the kernel's log.
fn ours(object: &str, name: &str) -> Option<Vec<String>> {
    let bytes = std::fs::read(root().join(object)).expect("object");
    let obj = elf::load(&bytes).expect("corpus object loads");
    let prog = obj.program(name).expect("program");
    let rules = prog
        .prog_type()
        .and_then(|t| ProgTypeRules::by_id(t.raw()))?;
    let kernel_btf = kernel_btf_once();
    let relocated =
        bpfvet_analyzer::verifier::env::core_relocated(&obj, prog, kernel_btf).and_then(Result::ok);
    let prog = relocated.as_ref().unwrap_or(prog);
    let (graph, _) = cfg::build(prog.insns());
    let mut ex = Explainer::new(prog, &graph, Syntax::Kernel, Vec::new())
        .with_maps(obj.maps())
        .with_kernel_btf(kernel_btf);
    verify_observed(
        &Input::new(&obj, prog, rules).with_kernel_btf(kernel_btf),
        &Options::default(),
        &mut ex,
    );
    Some(reduce(&ex.finish()))
}

/// One recorded build's logs: (object, program, reduced lines, or the length of a log too
/// long to compare).
fn parse_logs(column: &str) -> Vec<(String, String, Result<Vec<String>, usize>)> {
    let mut out: Vec<(String, String, Result<Vec<String>, usize>)> = Vec::new();
    for l in column.lines().filter(|l| !l.starts_with("# ")) {
        if let Some(head) = l.strip_prefix("## ") {
            let (id, long) = match head.split_once(": too long (") {
                Some((id, n)) => (id, Err(n.trim_end_matches(" lines)").parse().unwrap_or(0))),
                None => (head, Ok(Vec::new())),
            };
            let (object, name) = id.split_once(' ').expect("## OBJECT PROGRAM");
            out.push((object.to_owned(), name.to_owned(), long));
        } else if let Some((_, _, Ok(lines))) = out.last_mut() {
            lines.push(l.to_owned());
        }
    }
    out
}

#[test]
fn explain_kernel_syntax_matches_real_logs() {
    let recorded = columns::recorded("explain_logs");
    assert!(
        !recorded.is_empty(),
        "no recorded build has an explain_logs column under snapshots/kernel/"
    );
    let mut text = String::new();
    for (build, column) in &recorded {
        let (mut same, mut total, mut programs) = (0usize, 0usize, 0usize);
        let mut table = String::new();
        for (object, name, kernel) in parse_logs(column) {
            let k = match kernel {
                Ok(k) => k,
                Err(n) => {
                    let _ = writeln!(
                        table,
                        "{object} {name}: log too long to compare ({n} kernel lines)"
                    );
                    continue;
                }
            };
            let Some(o) = ours(&object, &name) else {
                continue;
            };
            if o.len() > 2 * MAX_LINES {
                let _ = writeln!(
                    table,
                    "{object} {name}: explanation too long to compare ({} lines)",
                    o.len()
                );
                continue;
            }
            let n = identical(&k, &o);
            let _ = writeln!(
                table,
                "{object} {name}: {n} of {} kernel lines identical ({} bpfvet lines)",
                k.len(),
                o.len()
            );
            same += n;
            total += k.len();
            programs += 1;
        }
        assert!(programs > 50, "{build}: only {programs} programs compared");
        let percent = same * 100 / total.max(1);
        let head = format!(
            "kernel {build}: {programs} programs: {same} of {total} comparable kernel log lines identical ({percent}%)\n"
        );
        columns::loud(&head);
        assert!(
            percent >= FLOOR_PERCENT,
            "{build}: explain --format kernel agrees on only {percent}% of the kernel's lines (floor {FLOOR_PERCENT}%)"
        );
        let _ = writeln!(text, "{head}{table}");
    }
    columns::keep_table("snapshots/agreement/explain_kernel.txt", text).assert_unchanged();
}
