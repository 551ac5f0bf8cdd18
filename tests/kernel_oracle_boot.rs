//! The boot oracle (`scripts/kernel-oracle`) on Debian's Linux 6.1: one boot, two known objects,
//! so the extra kernels' columns (`snapshots/kernel/6.1.*`, `6.12.*`) stay reproducible.
//!
//! The script exits 3 when this machine cannot boot a kernel (no QEMU, busybox or Debian kernel
//! image; `scripts/setup` installs QEMU and fetches the image). The test then says loudly that it
//! did not run, and why, and passes, unless `BPFVET_REQUIRE_BOOT=1`, which makes that a failure.
//! Without hardware KVM the script emulates (QEMU's TCG): slower (about 10 s here), same answers.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use std::process::{Command, Output};

use kernel_support::{columns::loud, root};

fn oracle(args: &[&str]) -> Output {
    Command::new("bash")
        .arg(root().join("scripts/kernel-oracle"))
        .args(args)
        .current_dir(root())
        // The binary under test goes into the guest, not whatever target/release holds.
        .env("BPFVET", env!("CARGO_BIN_EXE_bpfvet"))
        .output()
        .expect("run scripts/kernel-oracle")
}

#[test]
fn boots_linux_6_1_and_returns_its_verdicts() {
    let accept = "corpus/c/xdp/xdp_fw_lpm.bpf.o";
    // An unchecked packet read: rejected by every kernel, with the same reason since 4.x.
    let reject = "corpus/c/reject/pkt/no_bounds_check.bpf.o";
    let out = oracle(&["--kernel", "6.1", "--format", "json", accept, reject]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(3) {
        let why = stderr.lines().last().unwrap_or("no reason given");
        assert!(
            std::env::var("BPFVET_REQUIRE_BOOT").as_deref() != Ok("1"),
            "BPFVET_REQUIRE_BOOT=1, but the boot oracle cannot run here: {why}"
        );
        loud(&format!(
            "\n!!! kernel_oracle_boot NOT RUN: this machine cannot boot Linux 6.1: {why}\n"
        ));
        return;
    }
    // Exit 1: some program (the reject one) was rejected, as `bpfvet kernel` reports it.
    assert_eq!(
        out.status.code(),
        Some(1),
        "scripts/kernel-oracle failed:\n{stderr}"
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    let release = doc["kernel"]["release"].as_str().unwrap_or_default();
    assert!(
        release.starts_with("6.1."),
        "the guest is not Debian's 6.1: {release}"
    );
    let progs = doc["programs"].as_array().expect("programs");
    let verdicts: Vec<(&str, &str, &str, &str)> = progs
        .iter()
        .map(|p| {
            (
                p["object"].as_str().unwrap_or_default(),
                p["program"].as_str().unwrap_or_default(),
                p["verdict"].as_str().unwrap_or_default(),
                p["reason"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    // Paths come back as given, so the output diffs against the live kernel's.
    assert_eq!(
        verdicts,
        vec![
            (accept, "xdp_firewall", "accepted", ""),
            (
                reject,
                "xdp_no_bounds_check",
                "rejected",
                "R1 offset is outside of the packet"
            ),
        ],
        "{stderr}"
    );
    assert!(
        progs[0]["stats"]["processed_insns"].as_u64().unwrap_or(0) > 0,
        "no verifier statistics from the guest"
    );
    assert_eq!(doc["errors"], serde_json::json!([]));
}

/// Bad input fails at once, with one line and exit 2, before anything boots (so on any machine).
#[test]
fn bad_input_fails_plainly() {
    for (args, says) in [
        (
            &["--kernel", "6.1", "corpus/no/such.bpf.o"][..],
            "not a readable file",
        ),
        (
            &[
                "--kernel",
                "6.1",
                "--format",
                "xml",
                "corpus/c/xdp/xdp_fw_lpm.bpf.o",
            ][..],
            "--format must be json or summary",
        ),
        (
            &["--kernel", "latest", "corpus/c/xdp/xdp_fw_lpm.bpf.o"][..],
            "neither a release",
        ),
        (&["corpus/c/xdp/xdp_fw_lpm.bpf.o"][..], "usage:"),
    ] {
        let out = oracle(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}
