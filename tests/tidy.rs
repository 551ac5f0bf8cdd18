//! Architecture rules that reviews forget, checked on every test run: which crate may depend on
//! what (docs/ARCHITECTURE.md, "Dependency rules"), where `unsafe` may appear and that each
//! block says why it is sound, and that every source file opens with a module doc.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The names under `[dependencies]` of a Cargo.toml.
fn dependencies(manifest: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(manifest).expect("Cargo.toml");
    let mut in_deps = false;
    let mut res = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_deps = line == "[dependencies]";
            continue;
        }
        if in_deps && !line.is_empty() && !line.starts_with('#') {
            if let Some((name, _)) = line.split_once('=') {
                res.push(name.trim().to_string());
            }
        }
    }
    res
}

#[test]
fn crates_depend_only_on_what_the_architecture_allows() {
    let allowed: &[(&str, &[&str])] = &[
        ("lattice", &[]),
        (
            "analyzer",
            &[
                "bpfvet-lattice",
                "object",
                "petgraph",
                "thiserror",
                "codespan-reporting",
                "serde",
                "serde-sarif",
                "serde_json",
                "smallvec",
            ],
        ),
        (
            "runtime",
            &["bpfvet-analyzer", "dynasm", "dynasmrt", "thiserror"],
        ),
        (
            "oracle",
            &[
                "libbpf-rs",
                "libbpf-sys",
                "libc",
                "object",
                "serde",
                "thiserror",
            ],
        ),
        (
            ".",
            &[
                "bpfvet-analyzer",
                "bpfvet-runtime",
                "bpfvet-oracle",
                "anyhow",
                "clap",
                "clap_complete",
                "clap_mangen",
                "flate2",
                "indicatif",
                "regex",
                "serde",
                "serde_json",
            ],
        ),
    ];
    for (krate, ok) in allowed {
        for dep in dependencies(&root().join(krate).join("Cargo.toml")) {
            assert!(
                ok.contains(&dep.as_str()),
                "{krate} depends on {dep}, which docs/ARCHITECTURE.md does not allow"
            );
        }
    }
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.flatten().map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

fn sources() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in [
        "lattice/src",
        "analyzer/src",
        "runtime/src",
        "oracle/src",
        "src",
    ] {
        rust_files(&root().join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} source files", files.len());
    files
}

#[test]
fn unsafe_code_lives_only_in_the_jit_memory_module_and_the_syscall_module() {
    let allowed = ["runtime/src/jit/mem.rs", "oracle/src/sys.rs"];
    let mut seen = 0;
    for file in sources() {
        let rel = file
            .strip_prefix(root())
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        let text = std::fs::read_to_string(&file).expect("source");
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let is_unsafe = code.contains("unsafe {")
                || code.contains("unsafe fn")
                || code.contains("unsafe impl");
            if !is_unsafe {
                continue;
            }
            assert!(
                allowed.contains(&rel.as_str()),
                "{rel}:{}: `unsafe` outside {allowed:?}",
                i + 1
            );
            seen += 1;
            if code.contains("unsafe {") || code.contains("unsafe impl") {
                let start = i.saturating_sub(4);
                assert!(
                    lines[start..=i].iter().any(|l| l.contains("SAFETY:")),
                    "{rel}:{}: an unsafe block without a `// SAFETY:` line above it",
                    i + 1
                );
            }
        }
    }
    // The scan must see the unsafe code that does exist, or it proves nothing.
    assert!(seen >= 2, "the scan found only {seen} unsafe items");
}

#[test]
fn every_source_file_opens_with_a_module_doc() {
    for file in sources() {
        let text = std::fs::read_to_string(&file).expect("source");
        let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
        assert!(
            first.starts_with("//!"),
            "{} does not start with a `//!` module doc",
            file.display()
        );
    }
}
