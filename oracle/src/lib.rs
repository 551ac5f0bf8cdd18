//! The live Linux verifier as oracle: load BPF objects into the running kernel and report its
//! verdict on each program, with its reason line, log and statistics; and run accepted programs
//! through `BPF_PROG_TEST_RUN`.
//!
//! ```text
//! ELF bytes ──libbpf open (maps, relocations, CO-RE against the running kernel)──▶ programs
//!   each program alone ──bpf_object__load, log level | BPF_LOG_STATS──▶ log + errno + libbpf messages
//!   ──classify──▶ KernelVerdict { Accepted | Rejected { errno, kind, reason } | Refused { stage, errno, reason } }
//!   accepted program ──BPF_PROG_TEST_RUN──▶ TestRunOutput { retval, data_out, duration_ns }
//! ```
//!
//! Entry points: [`kernel_available`], [`verify_object`] / [`verify_file`], [`test_run`].
//!
//! **Architecture Invariant:** `unsafe` appears only in `sys`; every fd the crate or libbpf
//! opens is closed when the call that opened it returns (libbpf's `bpf_object__close` closes the
//! maps and programs of an object).
//! **Architecture Invariant:** the crate never depends on the analyzer: it is the independent
//! oracle the analyzer is checked against.

mod load;
mod probe;
mod struct_ops;
mod sys;
mod testrun;
mod unpriv;
mod verdict;

use std::path::PathBuf;

pub use load::{verify_file, verify_object, LogLevel, VerifyOptions};
pub use probe::{kernel_available, KernelInfo, Unavailable};
pub use testrun::{
    run_mode, test_run, test_run_with_slots, ProgSlot, RunMode, TestRunInput, TestRunOutput,
};
pub use unpriv::{unprivileged_session, UnprivilegedSession};
pub use verdict::{
    parse_stats, reason_line, reason_lines, Errno, KernelVerdict, Outcome, RefusalStage,
    RejectKind, VerifierStats,
};

/// Why the oracle could not produce verdicts (a rejected program is a verdict, not an error).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OracleError {
    /// `bpf()` cannot be used here; the message says exactly why.
    #[error(transparent)]
    Unavailable(#[from] Unavailable),
    /// The object file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The IO error.
        source: std::io::Error,
    },
    /// Neither libbpf nor the ELF reader could make sense of the bytes.
    #[error("{object}: not a BPF ELF object ({detail})")]
    NotAnObject {
        /// The object's name.
        object: String,
        /// What went wrong.
        detail: String,
    },
    /// The object has no program of that name.
    #[error("{object}: no program named `{program}` (programs: {})", available.join(", "))]
    NoSuchProgram {
        /// The object's name.
        object: String,
        /// The name asked for.
        program: String,
        /// The programs the object has.
        available: Vec<String>,
    },
    /// A test run was asked for a program the kernel does not accept.
    #[error("{}: {}: not loaded: {}", .0.object, .0.program, .0.outcome.summary())]
    NotAccepted(Box<KernelVerdict>),
    /// The kernel cannot test-run this program type.
    #[error("program type {prog_type} cannot be run with BPF_PROG_TEST_RUN")]
    TestRunUnsupported {
        /// The kernel's name of the type.
        prog_type: String,
    },
    /// `BPF_PROG_TEST_RUN` failed.
    #[error("BPF_PROG_TEST_RUN failed with {errno}: {hint}")]
    TestRun {
        /// What the kernel returned.
        errno: Errno,
        /// A likely cause.
        hint: String,
    },
    /// A program-array slot could not be filled before a test run (no such map, not a
    /// program array, a target of another type).
    #[error("cannot fill {slot}: {errno}")]
    ProgSlot {
        /// `map[key] = program`.
        slot: String,
        /// What libbpf or the kernel returned.
        errno: Errno,
    },
}
