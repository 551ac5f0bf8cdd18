//! Where bpfvet and the kernel put each rejection: for every program of the corpus that the
//! kernel rejects in its verifier, the instruction the kernel stopped at (the last instruction
//! line of its log before the reason) against the instruction of bpfvet's first finding, and
//! whether bpfvet's message for it contains the kernel's reason.
//!
//! Two tests:
//! - `kernel_rejections_column` asks the live kernel and keeps its answers (instruction and
//!   reason per rejection) as the running build's column `snapshots/kernel/<release>/rejections.txt`
//!   (see `kernel_support/columns.rs`); it fails unless the kernel is available, except with
//!   `BPFVET_NO_KERNEL=1`, which it reports loudly.
//! - `rejections_are_found_where_the_kernel_finds_them` compares bpfvet with every recorded
//!   build's column, without a kernel, into `snapshots/agreement/kernel_insn.txt`, and fails
//!   when that table changes (bless a reviewed change with `BPFVET_BLESS=1`).

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use bpfvet_analyzer::elf;
use bpfvet_analyzer::rules::ProgTypeRules;
use bpfvet_analyzer::verifier::env::{Input, Options};
use bpfvet_analyzer::verifier::verify;
use bpfvet_oracle::{LogLevel, Outcome, VerifyOptions};
use kernel_support::{columns, kernel_btf_once, kernel_or_skip, kernel_verdict, manifest, root};
use std::fmt::Write as _;

/// The index of the last instruction the kernel printed (`N: (op) ...`).
fn kernel_insn(log: &str) -> Option<u32> {
    log.lines().rev().find_map(|l| {
        let (n, rest) = l.split_once(": (")?;
        n.trim().parse().ok().filter(|_| rest.contains(')'))
    })
}

#[test]
fn kernel_rejections_column() {
    if !kernel_or_skip("kernel_rejections_column") {
        return;
    }
    let root = root();
    let opts = VerifyOptions::new(LogLevel::Brief, true);
    let mut column = String::from(
        "# Corpus programs expected to be rejected, as this kernel build rejects them: \
         OBJECT PROGRAM: insn N | reason (tests/kernel_insn_agreement.rs).\n",
    );
    for p in manifest()["programs"].as_array().expect("programs") {
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
        let at = v
            .log
            .as_deref()
            .and_then(kernel_insn)
            .map_or("?".to_owned(), |k| k.to_string());
        let _ = writeln!(column, "{object} {name}: insn {at} | {reason}");
    }
    columns::check("rejections", &column);
}

/// bpfvet's first finding on `name`: (instruction, code, kernel message).
fn first_finding(bytes: &[u8], name: &str) -> Option<(u32, String, String)> {
    let kernel_btf = kernel_btf_once();
    match elf::load(bytes) {
        Ok(obj) => {
            let prog = obj.program(name)?;
            let rules = prog
                .prog_type()
                .and_then(|t| ProgTypeRules::by_id(t.raw()))?;
            let relocated = bpfvet_analyzer::verifier::env::core_relocated(&obj, prog, kernel_btf)
                .and_then(Result::ok);
            let res = verify(
                &Input::new(&obj, relocated.as_ref().unwrap_or(prog), rules)
                    .with_kernel_btf(kernel_btf),
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
    }
}

#[test]
fn rejections_are_found_where_the_kernel_finds_them() {
    let root = root();
    let recorded = columns::recorded("rejections");
    assert!(
        !recorded.is_empty(),
        "no recorded build has a rejections column under snapshots/kernel/"
    );
    let mut out = String::new();
    for (build, column) in &recorded {
        let (mut same_insn, mut same_msg, mut n, mut named) = (0, 0, 0, 0);
        let mut table = String::new();
        for line in column.lines().filter(|l| !l.starts_with('#')) {
            let (head, reason) = line
                .split_once(" | ")
                .expect("OBJECT PROGRAM: insn N | reason");
            let (id, at) = head.split_once(": insn ").expect("OBJECT PROGRAM: insn N");
            let (object, name) = id.split_once(' ').expect("OBJECT PROGRAM");
            let k_insn: Option<u32> = at.parse().ok();
            let bytes = std::fs::read(root.join(object)).expect("object");
            n += 1;
            let (b_insn, code, msg) = first_finding(&bytes, name).unwrap_or((
                u32::MAX,
                "accept".to_string(),
                String::new(),
            ));
            let at = k_insn == Some(b_insn);
            let said = !reason.is_empty() && msg.contains(reason);
            same_insn += usize::from(at);
            // Structural checks run before the kernel interprets anything, so its log names no
            // instruction for them.
            named += usize::from(k_insn.is_some());
            same_msg += usize::from(said);
            let k = k_insn.map_or("?".to_string(), |k| k.to_string());
            let b = if b_insn == u32::MAX {
                "-".to_string()
            } else {
                b_insn.to_string()
            };
            let _ = writeln!(
                table,
                "{object} {name}: kernel insn {k}, bpfvet insn {b} [{code}]{}{}",
                if at || k_insn.is_none() {
                    ""
                } else {
                    " OTHER-INSN"
                },
                if said { "" } else { " OTHER-MESSAGE" }
            );
        }
        let summary = format!(
            "kernel {build}: {n} rejections: the kernel's log names the instruction for {named}, and bpfvet reports {same_insn} of those at the same one; {same_msg} of {n} carry the kernel's reason line\n"
        );
        columns::loud(&summary);
        let _ = writeln!(out, "{summary}{table}");
    }
    let snap = root.join("snapshots/agreement/kernel_insn.txt");
    if std::env::var_os("BPFVET_BLESS").is_some() {
        std::fs::write(&snap, &out).expect("write snapshot");
        return;
    }
    let old = std::fs::read_to_string(&snap).unwrap_or_default();
    if old != out {
        std::fs::write(snap.with_extension("txt.new"), &out).expect("write new snapshot");
        panic!(
            "the kernel instruction agreement changed: compare {} with its .txt.new, bless with BPFVET_BLESS=1:\n{}",
            snap.display(),
            columns::line_diff(&old, &out)
        );
    }
}
