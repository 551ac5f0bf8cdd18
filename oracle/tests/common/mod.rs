//! Shared by the live tests: the test objects and the kernel-availability gate.

#![allow(dead_code, reason = "each test binary uses a different subset")]

use std::io::Write as _;
use std::path::PathBuf;

/// A test object under `oracle/tests/data/`.
pub fn data(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

/// `true` when the live verifier is usable; otherwise fails, or with `BPFVET_NO_KERNEL=1` says
/// so loudly (on the real stderr, past the harness's capture) and lets the test pass.
pub fn kernel_or_skip(test: &str) -> bool {
    match bpfvet_oracle::kernel_available() {
        Ok(_) => true,
        Err(why) if std::env::var("BPFVET_NO_KERNEL").as_deref() == Ok("1") => {
            let _ = writeln!(
                std::io::stderr(),
                "!!! {test}: NOT RUN: the live kernel verifier is unavailable: {why} (BPFVET_NO_KERNEL=1)"
            );
            false
        }
        Err(why) => panic!(
            "{test}: the live kernel verifier is unavailable: {why} (BPFVET_NO_KERNEL=1 skips)"
        ),
    }
}
