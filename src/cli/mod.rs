//! Subcommands. Each lives in its own module with its clap `Args` and a `run` function.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod kernel;

/// bpfvet: an offline eBPF verifier.
#[derive(Parser, Debug)]
#[command(name = "bpfvet", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Load every program of an object into the running kernel and report its verdict.
    Kernel(kernel::Args),
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Kernel(args) => kernel::run(args),
    }
}
