//! Every corpus object's `bpfvet check` output, as an insta snapshot under
//! `snapshots/diagnostics/corpus/`: the human diagnostics of rejected programs and the summary
//! line of accepted ones. A change in any message, label or verdict shows up as a diff; review
//! it with `cargo insta review` (in CI, with `CI=true`, a mismatch or a missing snapshot fails).
//!
//! A few objects also run under another profile (`PROFILES`), for the findings only an older
//! kernel or an unprivileged loader produces.

#[path = "diagnostics_support/mod.rs"]
mod support;

use support::{bpfvet, corpus_objects, redact_counts, settings, snap_name};

/// (object, extra arguments, snapshot suffix): profile runs.
const PROFILES: &[(&str, &[&str], &str)] = &[
    (
        "corpus/c/loops/bounded_loops.bpf.o",
        &["--kernel", "5.2"],
        "kernel-5.2",
    ),
    (
        "corpus/c/asm/uninit_stack_privileged.bpf.o",
        &["--unprivileged", "--type", "socket_filter"],
        "unprivileged",
    ),
    (
        "corpus/c/socket/sockfilter_priv_only.bpf.o",
        &["--unprivileged"],
        "unprivileged",
    ),
    (
        "corpus/c/socket/sockfilter_over_4096.bpf.o",
        &["--unprivileged"],
        "unprivileged",
    ),
];

fn render(object: &str, extra: &[&str]) -> String {
    let mut args = vec!["check", "--color", "never"];
    args.extend_from_slice(extra);
    args.push(object);
    let (code, stdout, stderr) = bpfvet(&args);
    let mut text = format!(
        "$ bpfvet {}\nexit: {code}\n{}",
        args.join(" "),
        redact_counts(&stdout)
    );
    if !stderr.is_empty() {
        text.push_str("stderr:\n");
        text.push_str(&stderr);
    }
    text
}

#[test]
fn corpus_diagnostics() {
    let objects = corpus_objects();
    assert!(
        objects.len() > 50,
        "the corpus shrank to {} objects",
        objects.len()
    );
    let settings = settings("corpus");
    settings.bind(|| {
        for object in &objects {
            insta::assert_snapshot!(snap_name(object), render(object, &[]));
        }
        for (object, extra, suffix) in PROFILES {
            insta::assert_snapshot!(
                format!("{}@{suffix}", snap_name(object)),
                render(object, extra)
            );
        }
    });
}
