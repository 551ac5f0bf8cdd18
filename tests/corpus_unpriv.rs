//! The corpus's socket filter and cgroup_skb objects (the program types an unprivileged user
//! may load) judged unprivileged, by the live kernel and by `bpfvet check --unprivileged`.
//!
//! - `corpus_kernel_unpriv_column` keeps the live kernel's unprivileged verdicts (`bpfvet kernel
//!   --unprivileged --format summary`) as the build's column
//!   `snapshots/kernel/<release>/corpus-unpriv.txt`, when bpf() and
//!   `kernel.unprivileged_bpf_disabled` (0, or 2 opened by root) allow.
//! - `corpus_unpriv_agrees_with_the_recorded_kernels` needs no kernel: it compares bpfvet with
//!   every recorded column in `snapshots/agreement/corpus-unpriv.txt` (bless a reviewed change
//!   with `BPFVET_BLESS=1`) and fails on any program bpfvet accepts that a build rejects.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use kernel_support::columns::{self, verdicts as kernel_verdicts, Verdicts};
use kernel_support::{check_verdicts, kernel_or_skip, manifest, root};

/// The corpus objects with a socket filter or cgroup_skb program, sorted.
fn objects() -> Vec<String> {
    let m = manifest();
    let mut out: Vec<String> = m["programs"]
        .as_array()
        .expect("programs")
        .iter()
        .filter(|p| {
            let sec = p["section"].as_str().unwrap_or_default();
            sec.starts_with("socket")
                || sec.starts_with("cgroup_skb")
                || sec.starts_with("cgroup/skb")
        })
        .filter_map(|p| p["object"].as_str().map(str::to_owned))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn bpfvet(args: &[&str], objs: &[String]) -> String {
    kernel_support::bpfvet_stdout(&root(), args, objs)
}

#[test]
fn corpus_kernel_unpriv_column() {
    if !kernel_or_skip("corpus_kernel_unpriv_column") {
        return;
    }
    let session = match bpfvet_oracle::unprivileged_session() {
        Ok(s) => s,
        Err(why) => {
            columns::loud(&format!(
                "\n!!! corpus_kernel_unpriv_column NOT RUN: {why}\n"
            ));
            return;
        }
    };
    let objs = objects();
    assert!(
        objs.len() >= 10,
        "too few socket/cgroup_skb corpus objects: {objs:?}"
    );
    let text = format!(
        "# `bpfvet kernel --unprivileged --format summary` over the corpus's socket filter and cgroup_skb objects on this kernel build (tests/corpus_unpriv.rs).\n{}",
        bpfvet(&["kernel", "--unprivileged", "--format", "summary"], &objs)
    );
    drop(session);
    columns::check("corpus-unpriv", &text);
}

#[test]
fn corpus_unpriv_agrees_with_the_recorded_kernels() {
    let objs = objects();
    let recorded: Vec<(String, Verdicts)> = columns::recorded("corpus-unpriv")
        .into_iter()
        .map(|(b, c)| (b, kernel_verdicts(&c)))
        .collect();
    assert!(
        !recorded.is_empty(),
        "no recorded build has a corpus-unpriv column under snapshots/kernel/"
    );
    let ours = check_verdicts(&bpfvet(
        &["check", "--unprivileged", "--format", "json"],
        &objs,
    ));
    let (head, table, unsound) = columns::unprivileged_table(&ours, &recorded);
    let text = format!("{head}\n{table}");
    columns::keep_table("snapshots/agreement/corpus-unpriv.txt", text).assert_unchanged();
    assert!(
        unsound.is_empty(),
        "bpfvet --unprivileged accepts corpus programs the kernel rejects unprivileged:\n{}",
        unsound.join("\n")
    );
}
