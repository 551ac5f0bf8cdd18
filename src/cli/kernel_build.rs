//! `--kernel-config FILE` and `--lockdown LEVEL`: the target kernel's build beyond its release
//! (`bpfvet_analyzer::rules::kernel_build`), shared by the commands that give verdicts.

use std::io::Read;
use std::path::{Path, PathBuf};

use bpfvet_analyzer::rules::kernel_build::{KernelBuild, Lockdown};
use bpfvet_analyzer::verifier::env::Options;

#[derive(clap::Args, Debug, Default)]
pub struct BuildArgs {
    /// The target kernel's configuration (`.config`, `/boot/config-*`, or gzipped like
    /// `/proc/config.gz`): helpers its options leave out are refused as that kernel refuses them
    /// (e.g. bpf_override_return without CONFIG_BPF_KPROBE_OVERRIDE, bpf_probe_write_user under
    /// a forced lockdown). Default: a build with every option BPF uses.
    #[arg(long, value_name = "FILE")]
    kernel_config: Option<PathBuf>,
    /// The target kernel's lockdown level when set at boot (`lockdown=`, or UEFI Secure Boot on
    /// many distributions): none, integrity, confidentiality. The stricter of this and the
    /// level the configuration forces applies.
    #[arg(long, value_name = "LEVEL", value_parser = parse_lockdown)]
    lockdown: Option<Lockdown>,
}

fn parse_lockdown(s: &str) -> Result<Lockdown, String> {
    Lockdown::by_name(s).ok_or_else(|| {
        format!("unknown lockdown level {s:?} (known: none, integrity, confidentiality)")
    })
}

/// A configuration file's text, gunzipped when it starts with the gzip magic.
fn read_config(path: &Path) -> anyhow::Result<String> {
    let bytes =
        std::fs::read(path).map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", path.display()))?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .map_err(|e| anyhow::anyhow!("{}: not a readable gzip file: {e}", path.display()))?;
        Ok(text)
    } else {
        String::from_utf8(bytes).map_err(|_| {
            anyhow::anyhow!("{}: not a kernel configuration (not text)", path.display())
        })
    }
}

impl BuildArgs {
    /// Sets `opts.build` from the arguments.
    pub fn apply(&self, opts: &mut Options) -> anyhow::Result<()> {
        let mut build = match &self.kernel_config {
            None => KernelBuild::default(),
            Some(path) => KernelBuild::from_config(&read_config(path)?)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?,
        };
        if let Some(level) = self.lockdown {
            build.lockdown = build.lockdown.max(level);
        }
        opts.build = build;
        Ok(())
    }
}
