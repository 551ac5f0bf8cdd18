//! The analysis half of bpfvet: the eBPF instruction set, ELF loading, and (later) the abstract
//! interpreter, verdicts and diagnostics.
//!
//! Architecture invariant: this crate never reads files or executes code; it takes bytes.
#![forbid(unsafe_code)]

pub mod isa;
