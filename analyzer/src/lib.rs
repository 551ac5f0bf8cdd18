//! The analysis half of bpfvet: the eBPF instruction set, ELF loading, and (later) the abstract
//! interpreter, verdicts and diagnostics.
//!
//! Architecture invariant: this crate never reads files or executes code; it takes bytes.
#![forbid(unsafe_code)]

pub mod btf;
pub mod cfg;
pub mod diagnostics;
pub mod elf;
pub mod isa;
pub mod prog_type;
pub mod program;
pub mod report;
pub mod rules;
pub mod test_spec;
pub mod verifier;
