//! Every finding code has a section in `docs/diagnostics.md` with the catalogue's headings, and
//! a corpus case whose reviewed diagnostic (under `snapshots/diagnostics/corpus/`) shows it,
//! except the codes in `NO_CORPUS_CASE`, each with the reason.

#[path = "diagnostics_support/mod.rs"]
mod support;

use bpfvet_analyzer::diagnostics::warnings::WARNING_CODES;
use bpfvet_analyzer::verifier::violation::Code;

/// Codes no corpus program triggers yet, and why.
const NO_CORPUS_CASE: &[(&str, &str)] = &[
    (
        "unsupported-ctx",
        "only without the kernel's BTF (or when it lacks the attach target); the corpus runs with it",
    ),
    (
        "empty-program",
        "clang never emits an empty program; needs a hand-made object",
    ),
    (
        "call-out-of-range",
        "needs a hand-made object with a corrupt call offset",
    ),
    (
        "program-too-large",
        "needs a program over 1M instructions (or 4096 with --unprivileged)",
    ),
    (
        "internal-error",
        "an internal error is a bpfvet bug: no input should trigger it",
    ),
    (
        "complexity-budget",
        "no accepted corpus program processes over 500000 instructions",
    ),
];

fn all_codes() -> Vec<&'static str> {
    Code::ALL
        .iter()
        .map(|c| c.name())
        .chain(WARNING_CODES.iter().copied())
        .collect()
}

#[test]
fn every_code_has_a_catalogue_entry() {
    let doc = std::fs::read_to_string(support::root().join("docs/diagnostics.md"))
        .expect("docs/diagnostics.md");
    let mut missing = Vec::new();
    for code in all_codes() {
        let heading = format!("### `{code}`\n");
        let Some(start) = doc.find(&heading) else {
            missing.push(format!("{code}: no section"));
            continue;
        };
        let rest = &doc[start + heading.len()..];
        let section = &rest[..rest.find("\n### ").unwrap_or(rest.len())];
        for part in [
            "**What it checks:**",
            "**Why it matters:**",
            "**Example:**",
            "**How to fix:**",
            "**Kernel message:**",
        ] {
            if !section.contains(part) {
                missing.push(format!("{code}: no {part}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "docs/diagnostics.md is incomplete:\n{}",
        missing.join("\n")
    );
}

#[test]
fn every_code_has_a_corpus_case() {
    let dir = support::root().join("snapshots/diagnostics/corpus");
    let mut text = String::new();
    for e in std::fs::read_dir(&dir).expect("snapshots/diagnostics/corpus") {
        text.push_str(&std::fs::read_to_string(e.expect("entry").path()).expect("snapshot"));
    }
    let mut missing = Vec::new();
    for code in all_codes() {
        let shown =
            text.contains(&format!("error[{code}]")) || text.contains(&format!("warning[{code}]"));
        let allowed = NO_CORPUS_CASE.iter().any(|(c, _)| *c == code);
        if !shown && !allowed {
            missing.push(format!(
                "{code}: no corpus case (add one, or list it in NO_CORPUS_CASE with the reason)"
            ));
        }
        if shown && allowed {
            missing.push(format!(
                "{code}: has a corpus case now; remove it from NO_CORPUS_CASE"
            ));
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}
