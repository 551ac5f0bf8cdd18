//! `bpfvet completions SHELL` and `bpfvet man`: shell completion scripts and a roff man page,
//! both generated from the clap definitions, so they name exactly the options bpfvet takes.

use std::io::Write as _;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
#[command(after_help = "Install, e.g. for bash: \
bpfvet completions bash > ~/.local/share/bash-completion/completions/bpfvet")]
pub struct CompletionsArgs {
    /// The shell to write completions for.
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(clap::Args, Debug)]
#[command(after_help = "Install: bpfvet man > ~/.local/share/man/man1/bpfvet.1 \
(and bpfvet man check > ~/.local/share/man/man1/bpfvet-check.1, ...)")]
pub struct ManArgs {
    /// The page of this subcommand (bpfvet-COMMAND(1)) instead of bpfvet(1).
    command: Option<String>,
}

pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = super::command();
    let mut out = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "bpfvet", &mut out);
    write_stdout(&out)
}

pub fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    let mut top = super::command();
    // Building propagates the version and names subcommands `bpfvet-check`, as their pages are.
    top.build();
    let page = match &args.command {
        // The page of the top-level command lists every subcommand with its summary.
        None => top,
        Some(name) => top
            .get_subcommands()
            .find(|c| c.get_name() == name)
            .cloned()
            .ok_or_else(|| {
                let names: Vec<&str> = top.get_subcommands().map(|c| c.get_name()).collect();
                anyhow::anyhow!("no command {name:?} (commands: {})", names.join(", "))
            })?,
    };
    let mut out = Vec::new();
    clap_mangen::Man::new(page).render(&mut out)?;
    write_stdout(&out)
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        r => r?,
    }
    Ok(ExitCode::SUCCESS)
}
