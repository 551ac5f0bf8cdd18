//! Subcommands. Each lives in its own module with its clap `Args` and a `run` function.

use clap::{CommandFactory as _, Parser, Subcommand};
use std::process::ExitCode;

mod cfg;
mod check;
mod compare;
mod diff;
mod disasm;
mod explain;
mod files;
mod generate;
mod info;
mod kernel;
mod kernel_build;
mod load;
mod progress;
mod run;
mod selftest;
mod sources;
mod tail_targets;
mod test_run;

/// bpfvet: an offline eBPF verifier.
#[derive(Parser, Debug)]
#[command(name = "bpfvet", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Verify programs offline: accept, or every finding with the kernel's message for it.
    Check(check::Args),
    /// Explain the analysis of one program: each instruction with what it changed.
    Explain(explain::Args),
    /// Draw one program's control-flow graph (DOT or SVG), the failing path highlighted.
    Cfg(cfg::Args),
    /// Print each program's instructions with source lines and symbolic relocations.
    Disasm(disasm::Args),
    /// List an object's programs, maps, license and BTF.
    Info(info::Args),
    /// Load every program of an object into the running kernel and report its verdict.
    Kernel(kernel::Args),
    /// Run one program on the interpreter or the JIT: r0, packet, map changes, events, time.
    Run(run::Args),
    /// Differential runs: interpreter vs checked JIT (vs the kernel), concrete vs abstract states.
    Diff(diff::Args),
    /// Run verifier tests written in the kernel selftests' style (expectations in BTF decl tags).
    Test(selftest::Args),
    /// Compare two `check --format json` reports: verdict and verifier-cost changes per program.
    Compare(compare::Args),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(generate::CompletionsArgs),
    /// Print the man page (roff), generated from the same definitions as `--help`.
    Man(generate::ManArgs),
}

/// The version line: the crate version and the newest kernel whose rules bpfvet knows, which
/// is what `check` assumes without `--kernel`.
pub fn version() -> String {
    format!(
        "{} (newest kernel profile: {})",
        env!("CARGO_PKG_VERSION"),
        bpfvet_analyzer::verifier::env::KernelVersion::LATEST
    )
}

/// The clap command with its version line: what `main` parses and what the completions and
/// the man page are generated from.
pub fn command() -> clap::Command {
    Cli::command().version(version())
}

pub fn dispatch(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Check(args) => check::run(args),
        Command::Disasm(args) => disasm::run(args),
        Command::Explain(args) => explain::run(args),
        Command::Cfg(args) => cfg::run(args),
        Command::Info(args) => info::run(args),
        Command::Kernel(args) => kernel::run(args),
        Command::Run(args) => run::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Test(args) => selftest::run(args),
        Command::Compare(args) => compare::run(args),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
    }
}
