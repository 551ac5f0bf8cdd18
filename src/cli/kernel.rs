//! `bpfvet kernel`: the live kernel's verdict on each program of an object.

use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct Args {
    /// BPF ELF object files.
    #[arg(required = true)]
    files: Vec<std::path::PathBuf>,
}

pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`bpfvet kernel` is not built yet")
}
