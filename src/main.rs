//! The `bpfvet` command line: glue between the crates, argument parsing and output.
//!
//! This is the only place that uses `anyhow`, `process::exit`, stdout and stderr.
//! Exit codes: 0 ok / accepted, 1 rejected (or a mismatch found), 2 usage, input or internal error.

mod cli;

use clap::FromArgMatches as _;
use std::process::ExitCode;

fn main() -> ExitCode {
    let matches = cli::command().get_matches();
    let args = match cli::Cli::from_arg_matches(&matches) {
        Ok(args) => args,
        Err(e) => e.exit(),
    };
    match cli::dispatch(args) {
        Ok(code) => code,
        Err(err) => {
            // One clear line, no backtrace: the chain of causes joined by ": ".
            eprintln!("bpfvet: error: {err:#}");
            ExitCode::from(2)
        }
    }
}
