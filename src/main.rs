//! The `bpfvet` command line: glue between the crates, argument parsing and output.
//!
//! This is the only place that uses `anyhow`, `process::exit`, stdout and stderr.
//! Exit codes: 0 ok / accepted, 1 rejected (or a mismatch found), 2 usage, input or internal error.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::dispatch(args) {
        Ok(code) => code,
        Err(err) => {
            // One clear line, no backtrace: the chain of causes joined by ": ".
            eprintln!("bpfvet: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
