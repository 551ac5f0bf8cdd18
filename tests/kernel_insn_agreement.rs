//! Where bpfvet and the live kernel put each rejection: for every program of the corpus that
//! the kernel rejects in its verifier, the instruction the kernel stopped at (the last
//! instruction line of its log before the reason) against the instruction of bpfvet's first
//! finding, and whether bpfvet's message for it contains the kernel's reason.
//!
//! The table is `snapshots/agreement/kernel_insn.txt`; the test fails when it changes (bless a
//! reviewed change with `BPFVET_BLESS=1`), and fails unless the kernel is available, except
//! with `BPFVET_NO_KERNEL=1`, which it reports loudly.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use bpfvet_analyzer::elf;
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input, Options};
use bpfvet_analyzer::verifier::verify;
use bpfvet_oracle::{LogLevel, Outcome, VerifyOptions};
use kernel_support::{kernel_btf, kernel_or_skip, kernel_verdict, manifest, root};
use std::fmt::Write as _;
use std::io::Write as _;

/// The index of the last instruction the kernel printed (`N: (op) ...`).
fn kernel_insn(log: &str) -> Option<u32> {
    log.lines().rev().find_map(|l| {
        let (n, rest) = l.split_once(": (")?;
        n.trim().parse().ok().filter(|_| rest.contains(')'))
    })
}

#[test]
fn rejections_are_found_where_the_kernel_finds_them() {
    if !kernel_or_skip("kernel_insn_agreement") {
        return;
    }
    let root = root();
    let manifest = manifest();
    let kernel_btf = kernel_btf();
    let opts = VerifyOptions::new(LogLevel::Brief, true);
    let (mut same_insn, mut same_msg, mut n, mut named) = (0, 0, 0, 0);
    let mut table = String::new();
    for p in manifest["programs"].as_array().expect("programs") {
        if p["expectation"] != "reject" {
            continue;
        }
        let (object, name) = (
            p["object"].as_str().unwrap_or(""),
            p["program"].as_str().unwrap_or(""),
        );
        let bytes = std::fs::read(root.join(object)).expect("object");
        let Some(v) = kernel_verdict(&bytes, object, name, &opts) else {
            continue;
        };
        let Outcome::Rejected { reason, .. } = &v.outcome else {
            continue;
        };
        let k_insn = v.log.as_deref().and_then(kernel_insn);
        let ours = match elf::load(&bytes) {
            Ok(obj) => {
                let prog = obj.program(name).expect("program");
                let Some(rules) = prog.prog_type().and_then(|t| ProgTypeRules::by_id(t.raw()))
                else {
                    continue;
                };
                let relocated =
                    bpfvet_analyzer::verifier::env::core_relocated(&obj, prog, kernel_btf.as_ref())
                        .and_then(Result::ok);
                let res = verify(
                    &Input::new(&obj, relocated.as_ref().unwrap_or(prog), rules)
                        .with_kernel_btf(kernel_btf.as_ref()),
                    &Options::default(),
                );
                res.violations.first().map(|f| {
                    (
                        f.insn.0,
                        f.code.name().to_string(),
                        f.kernel_message.clone(),
                    )
                })
            }
            Err(e) => match e.kind() {
                elf::LoadErrorKind::Decode { err, .. } => {
                    Some((err.insn.0, "invalid-insn".to_string(), err.kernel_message()))
                }
                _ => None,
            },
        };
        n += 1;
        let (b_insn, code, msg) = ours.unwrap_or((u32::MAX, "accept".to_string(), String::new()));
        let at = k_insn == Some(b_insn);
        let said = !reason.is_empty() && msg.contains(reason.as_str());
        same_insn += usize::from(at);
        // Structural checks run before the kernel interprets anything, so its log names no
        // instruction for them.
        named += usize::from(k_insn.is_some());
        same_msg += usize::from(said);
        let k = k_insn.map_or("?".to_string(), |k| k.to_string());
        let _ = writeln!(
            table,
            "{object} {name}: kernel insn {k}, bpfvet insn {} [{code}]{}{}",
            if b_insn == u32::MAX {
                "-".to_string()
            } else {
                b_insn.to_string()
            },
            if at || k_insn.is_none() {
                ""
            } else {
                " OTHER-INSN"
            },
            if said { "" } else { " OTHER-MESSAGE" }
        );
    }
    let summary = format!(
        "{n} kernel rejections: the kernel's log names the instruction for {named}, and bpfvet reports {same_insn} of those at the same one; {same_msg} of {n} carry the kernel's reason line\n"
    );
    let _ = writeln!(std::io::stderr(), "{summary}");
    table.insert_str(0, &summary);
    let snap = root.join("snapshots/agreement/kernel_insn.txt");
    if std::env::var_os("BPFVET_BLESS").is_some() {
        std::fs::write(&snap, &table).expect("write snapshot");
        return;
    }
    let old = std::fs::read_to_string(&snap).unwrap_or_default();
    if old != table {
        std::fs::write(snap.with_extension("txt.new"), &table).expect("write new snapshot");
        panic!("the kernel instruction agreement changed: compare {} with its .txt.new, bless with BPFVET_BLESS=1", snap.display());
    }
}
