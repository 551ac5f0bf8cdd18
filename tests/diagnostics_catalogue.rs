//! Every finding code has a section in `docs/diagnostics.md` with the catalogue's headings, and
//! a corpus case whose reviewed diagnostic (under `snapshots/diagnostics/corpus/`) shows it,
//! except the codes in `NO_CORPUS_CASE`, each with the reason.

#[path = "diagnostics_support/mod.rs"]
mod support;

use bpfvet_analyzer::diagnostics::warnings::WARNING_CODES;
use bpfvet_analyzer::verifier::violation::Code;

/// Codes no corpus program triggers yet, and why.
const NO_CORPUS_CASE: &[(&str, &str)] = &[(
    "internal-error",
    "an internal error is a bpfvet bug: no input should trigger it",
)];

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
    let snapshots = corpus_snapshots();
    let mut missing = Vec::new();
    for code in all_codes() {
        let heading = format!("### `{code}`\n");
        let Some(start) = doc.find(&heading) else {
            missing.push(format!("{code}: no section"));
            continue;
        };
        let rest = &doc[start + heading.len()..];
        let section = &rest[..rest.find("\n### ").unwrap_or(rest.len())];
        check_example(code, section, &snapshots, &mut missing);
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

/// Every corpus snapshot, concatenated.
fn corpus_snapshots() -> String {
    let dir = support::root().join("snapshots/diagnostics/corpus");
    let mut text = String::new();
    for e in std::fs::read_dir(&dir).expect("snapshots/diagnostics/corpus") {
        text.push_str(&std::fs::read_to_string(e.expect("entry").path()).expect("snapshot"));
    }
    text
}

/// The catalogue's example must be what bpfvet prints today: its command and its first
/// diagnostic line both appear in the snapshots. Codes without a case say so only while they
/// are on the allow-list.
fn check_example(code: &str, section: &str, snapshots: &str, missing: &mut Vec<String>) {
    let allowed = NO_CORPUS_CASE.iter().any(|(c, _)| *c == code);
    if section.contains("no corpus case yet") {
        if !allowed {
            missing.push(format!("{code}: the example says \"no corpus case yet\""));
        }
        return;
    }
    let block = section
        .split_once("```text\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .map(|(b, _)| b);
    let Some(block) = block else {
        missing.push(format!("{code}: the example has no ```text block"));
        return;
    };
    for line in block.lines() {
        if !snapshots.contains(line) {
            missing.push(format!(
                "{code}: example line not in any snapshot (stale?): {line}"
            ));
        }
    }
}

#[test]
fn every_code_has_a_corpus_case() {
    let text = corpus_snapshots();
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
