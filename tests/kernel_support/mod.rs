//! What the tests that compare with the live kernel share: the kernel check, and the corpus
//! manifest and kernel BTF they read.

// Each test binary compiles this module and uses only part of it.
#![allow(dead_code)]

use std::io::Write as _;
use std::path::PathBuf;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Whether the live verifier can be used. Without it the test fails, unless
/// `BPFVET_NO_KERNEL=1` asks to skip, which is said loudly (never a silent pass).
pub fn kernel_or_skip(test: &str) -> bool {
    let Err(why) = bpfvet_oracle::kernel_available() else {
        return true;
    };
    if std::env::var("BPFVET_NO_KERNEL").as_deref() == Ok("1") {
        let _ = writeln!(
            std::io::stderr(),
            "\n!!! {test} NOT RUN: {why}; BPFVET_NO_KERNEL=1 is set, nothing was checked\n"
        );
        return false;
    }
    panic!("the live kernel verifier is unavailable: {why} (set BPFVET_NO_KERNEL=1 to skip)");
}

/// [`kernel_btf`], parsed once per test binary.
pub fn kernel_btf_once() -> Option<&'static bpfvet_analyzer::btf::Btf> {
    static BTF: std::sync::OnceLock<Option<bpfvet_analyzer::btf::Btf>> = std::sync::OnceLock::new();
    BTF.get_or_init(kernel_btf).as_ref()
}

/// `corpus/manifest.json`.
pub fn manifest() -> serde_json::Value {
    serde_json::from_str(
        &std::fs::read_to_string(root().join("corpus/manifest.json")).expect("manifest"),
    )
    .expect("json")
}

/// The running kernel's BTF, when it has one.
pub fn kernel_btf() -> Option<bpfvet_analyzer::btf::Btf> {
    std::fs::read("/sys/kernel/btf/vmlinux")
        .ok()
        .and_then(|b| bpfvet_analyzer::btf::Btf::parse(&b).ok())
}

/// The live kernel's verdict on program `name` of `object` (its bytes), or `None` when the
/// oracle could not load it at all.
pub fn kernel_verdict(
    bytes: &[u8],
    object: &str,
    name: &str,
    opts: &bpfvet_oracle::VerifyOptions,
) -> Option<bpfvet_oracle::KernelVerdict> {
    bpfvet_oracle::verify_object(bytes, object, Some(name), opts)
        .ok()?
        .into_iter()
        .next()
}

pub mod columns;

/// Whether bpfvet, offline with its default profile, accepts program `name` of `bytes` (an
/// object that does not load is a rejection).
pub fn bpfvet_accepts(bytes: &[u8], name: &str) -> bool {
    use bpfvet_analyzer::verifier::env::{core_relocated, Input, Options};
    let Ok(obj) = bpfvet_analyzer::elf::load(bytes) else {
        return false;
    };
    let Some(prog) = obj.program(name) else {
        return false;
    };
    let Some(rules) = prog
        .prog_type()
        .and_then(|t| bpfvet_analyzer::rules::ProgTypeRules::by_id(t.raw()))
    else {
        return false;
    };
    let btf = kernel_btf_once();
    let relocated = core_relocated(&obj, prog, btf).and_then(Result::ok);
    let input = Input::new(&obj, relocated.as_ref().unwrap_or(prog), rules).with_kernel_btf(btf);
    bpfvet_analyzer::verifier::verify(&input, &Options::default()).verdict
        == bpfvet_analyzer::verifier::Verdict::Accept
}

#[derive(serde::Deserialize)]
struct CheckDoc {
    objects: Vec<CheckObject>,
}

#[derive(serde::Deserialize)]
struct CheckObject {
    path: String,
    programs: Vec<CheckProgram>,
}

#[derive(serde::Deserialize)]
struct CheckProgram {
    name: String,
    verdict: String,
    #[serde(default)]
    findings: Vec<serde_json::Value>,
}

/// The verdicts of a `bpfvet check --format json` report: (object path, program) to the
/// verdict word and the first finding's kernel text (its last line).
pub fn check_verdicts(
    json: &str,
) -> std::collections::BTreeMap<(String, String), (String, String)> {
    let doc: CheckDoc = serde_json::from_str(json).expect("bpfvet check --format json parses");
    let mut out = std::collections::BTreeMap::new();
    for o in doc.objects {
        for p in o.programs {
            let why = p.findings.first().map_or_else(String::new, |f| {
                f["kernel_message"]
                    .as_str()
                    .or(f["message"].as_str())
                    .unwrap_or_default()
                    .lines()
                    .last()
                    .unwrap_or_default()
                    .to_owned()
            });
            out.insert((o.path.clone(), p.name), (p.verdict, why));
        }
    }
    out
}

/// What a `bpfvet check --format json` finding says, as the kernel columns show reasons: the
/// last line of its kernel text where bpfvet has the kernel's text, else its own words.
pub fn finding_text(finding: &serde_json::Value) -> String {
    finding["kernel_message"]
        .as_str()
        .filter(|m| !m.is_empty())
        .map(|m| m.lines().last().unwrap_or(m))
        .or(finding["message"].as_str())
        .unwrap_or("")
        .to_owned()
}

/// Runs the bpfvet binary in `dir` over `objects` and returns its standard output. Exit 0
/// (all accepted) and 1 (some rejected) are both answers; anything else fails the test.
pub fn bpfvet_stdout(dir: &std::path::Path, args: &[&str], objects: &[String]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(dir)
        .args(args)
        .args(objects)
        .output()
        .expect("run bpfvet");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "bpfvet {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}
