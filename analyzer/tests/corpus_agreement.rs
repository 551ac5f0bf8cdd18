//! bpfvet against the live kernel's verdicts on every corpus program.
//!
//! `corpus/manifest.json` holds each program's kernel-confirmed expectation (accept, or reject
//! with a substring of the kernel's reason line). This test runs the verifier on every program
//! and writes one line per program to `snapshots/agreement/corpus.txt`: whether bpfvet's verdict
//! agrees, and for rejections whether its first finding carries the kernel's message. The test
//! fails when that table differs from the committed one (bless a reviewed change with
//! `BPFVET_BLESS=1`), so a program that starts or stops agreeing shows up as a diff. Programs the kernel
//! rejects and bpfvet accepts are marked UNSAFE-ACCEPT: the disagreements that matter most.

use bpfvet_analyzer::elf;
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input, Options};
use bpfvet_analyzer::verifier::{verify, Verdict};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

#[derive(Debug, Default)]
struct Tally {
    agree: usize,
    agree_msg: usize,
    false_reject: usize,
    false_accept: usize,
    skipped: usize,
}

#[test]
fn corpus_verdicts_match_the_kernel() {
    let root = root();
    let manifest: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("corpus/manifest.json")).expect("corpus/manifest.json"),
    )
    .expect("manifest is JSON");
    let programs = manifest["programs"].as_array().expect("programs list");
    assert!(
        programs.len() >= 150,
        "the corpus shrank to {} programs",
        programs.len()
    );
    // BTF-typed contexts are typed by the running kernel's BTF, as the kernel does it; without
    // one those programs get `unsupported-ctx` and the table says so.
    let kernel = std::fs::read("/sys/kernel/btf/vmlinux")
        .ok()
        .and_then(|b| bpfvet_analyzer::btf::Btf::parse(&b).ok());
    if kernel.is_none() {
        println!("NOTE: /sys/kernel/btf/vmlinux is not readable: BTF-typed programs are compared without kernel BTF");
    }
    let mut table = String::new();
    let mut tally = Tally::default();
    let mut false_accepts = Vec::new();
    for p in programs {
        let object = p["object"].as_str().expect("object");
        let name = p["program"].as_str().expect("program");
        let expect = p["expectation"].as_str().expect("expectation");
        let kmsg = p["kernel_message"].as_str().unwrap_or("");
        if expect == "refused" {
            tally.skipped += 1;
            let _ = writeln!(
                table,
                "{object} {name}: refused by the kernel before verification (not compared)"
            );
            continue;
        }
        let bytes = std::fs::read(root.join(object)).expect("corpus object");
        let obj = match elf::load(&bytes) {
            Ok(o) => o,
            Err(e) if matches!(e.kind(), elf::LoadErrorKind::Decode { .. }) => {
                // An instruction that does not decode: bpfvet rejects the program as the kernel does.
                let elf::LoadErrorKind::Decode { err, .. } = e.kind() else {
                    unreachable!()
                };
                let msg = err.kernel_message();
                let ok = expect == "reject";
                tally.agree += usize::from(ok);
                tally.agree_msg += usize::from(ok && msg.contains(kmsg));
                tally.false_reject += usize::from(!ok);
                let status = if !ok {
                    "MISMATCH"
                } else if msg.contains(kmsg) {
                    "ok"
                } else {
                    "ok (other message)"
                };
                let _ = writeln!(table, "{object} {name}: kernel={expect} bpfvet=reject [invalid-insn at insn {}: {msg}] {status}", err.insn);
                continue;
            }
            Err(e) => {
                let _ = writeln!(
                    table,
                    "{object} {name}: kernel={expect} bpfvet=load-error ({e}) MISMATCH"
                );
                tally.false_reject += usize::from(expect == "accept");
                continue;
            }
        };
        let prog = obj
            .program(name)
            .unwrap_or_else(|| panic!("{object}: no program {name}"));
        let Some(rules) = prog.prog_type().and_then(|t| ProgTypeRules::by_id(t.raw())) else {
            let _ = writeln!(
                table,
                "{object} {name}: kernel={expect} bpfvet=no-rules-for-type MISMATCH"
            );
            continue;
        };
        let relocated = bpfvet_analyzer::verifier::env::core_relocated(&obj, prog, kernel.as_ref())
            .and_then(Result::ok);
        let input = Input::new(&obj, relocated.as_ref().unwrap_or(prog), rules)
            .with_kernel_btf(kernel.as_ref());
        let res = verify(&input, &Options::default());
        let ours = if res.verdict == Verdict::Accept {
            "accept"
        } else {
            "reject"
        };
        let first = res.violations.first();
        let detail = first
            .map(|v| format!(" [{} at insn {}: {}]", v.code, v.insn, v.kernel_message))
            .unwrap_or_default();
        let status = if ours != expect {
            if expect == "reject" {
                tally.false_accept += 1;
                false_accepts.push(format!("{object} {name}: kernel rejects with {kmsg:?}"));
                "UNSAFE-ACCEPT"
            } else {
                tally.false_reject += 1;
                "MISMATCH"
            }
        } else if expect == "reject" {
            tally.agree += 1;
            if first.is_some_and(|v| v.kernel_message.contains(kmsg)) {
                tally.agree_msg += 1;
                "ok"
            } else {
                "ok (other message)"
            }
        } else {
            tally.agree += 1;
            "ok"
        };
        let _ = writeln!(
            table,
            "{object} {name}: kernel={expect} bpfvet={ours}{detail} {status}"
        );
    }
    let summary = format!(
        "agree {} of {} compared ({} rejections with the kernel's message); bpfvet rejects {} the kernel accepts; bpfvet accepts {} the kernel rejects; {} not compared\n",
        tally.agree,
        tally.agree + tally.false_reject + tally.false_accept,
        tally.agree_msg,
        tally.false_reject,
        tally.false_accept,
        tally.skipped
    );
    println!("{summary}");
    table.insert_str(0, &summary);
    let snap = root.join("snapshots/agreement/corpus.txt");
    if std::env::var_os("BPFVET_BLESS").is_some() {
        std::fs::write(&snap, &table).expect("write snapshot");
    } else {
        let old = std::fs::read_to_string(&snap).unwrap_or_default();
        if old != table {
            let new = snap.with_extension("txt.new");
            std::fs::write(&new, &table).expect("write new snapshot");
            panic!(
                "the agreement table changed: compare {} with {} and bless with BPFVET_BLESS=1 if the change is right",
                snap.display(),
                new.display()
            );
        }
    }
    // Programs the kernel rejects and bpfvet accepts are the gaps that matter most; they are
    // listed in the table as UNSAFE-ACCEPT and printed here, and any new one fails the snapshot.
    for f in &false_accepts {
        println!("UNSAFE-ACCEPT: {f}");
    }
}
