//! Shared helpers of the diagnostics tests: run the `bpfvet` binary from the repository root on
//! relative paths (so output holds no absolute path) and set up insta for `snapshots/`.

// Each test crate that includes this module uses a different part of it.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `bpfvet ARGS` run in the repository root: (exit code, stdout, stderr).
pub fn bpfvet(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .args(args)
        .current_dir(root())
        .env_remove("CLICOLOR_FORCE")
        .output()
        .expect("run bpfvet");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Insta settings writing to `snapshots/diagnostics/<dir>` with plain names.
pub fn settings(dir: &str) -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.set_snapshot_path(root().join("snapshots/diagnostics").join(dir));
    s.set_prepend_module_to_snapshot(false);
    s.set_omit_expression(true);
    s
}

/// A snapshot name for an object path: `corpus/c/reject/mapval/x.bpf.o` → `reject__mapval__x`.
pub fn snap_name(object: &str) -> String {
    let p = Path::new(object);
    let rel = p.strip_prefix("corpus/c").unwrap_or(p);
    rel.to_string_lossy()
        .trim_end_matches(".bpf.o")
        .replace('/', "__")
}

/// Every object the corpus manifest lists, once, sorted.
pub fn corpus_objects() -> Vec<String> {
    let text =
        std::fs::read_to_string(root().join("corpus/manifest.json")).expect("corpus/manifest.json");
    let manifest: serde_json::Value = serde_json::from_str(&text).expect("manifest is JSON");
    let mut res: Vec<String> = manifest["programs"]
        .as_array()
        .expect("programs")
        .iter()
        .filter_map(|p| p["object"].as_str().map(str::to_string))
        .collect();
    res.sort();
    res.dedup();
    res
}

/// `text` with the exploration counters of summary lines (`1130 processed, 141 states`) replaced
/// by `_`: they change with every engine tuning and belong to the agreement table's statistics,
/// not to the diagnostics snapshots (STYLE.md H).
pub fn redact_counts(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        let mut words: Vec<String> = line.split(' ').map(str::to_string).collect();
        for i in 1..words.len() {
            let next = words[i].trim_end_matches([',', '\n']);
            if (next == "processed" || next == "states")
                && words[i - 1].chars().all(|c| c.is_ascii_digit())
                && !words[i - 1].is_empty()
            {
                words[i - 1] = "_".to_string();
            }
        }
        out.push_str(&words.join(" "));
    }
    out
}
