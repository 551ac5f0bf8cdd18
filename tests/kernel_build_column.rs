//! Each recorded kernel build's configuration, as far as bpfvet reads it
//! (`KernelBuild::CONFIG_OPTIONS`): `snapshots/kernel/<release>/kernel-config.txt`. Tests that
//! compare bpfvet with a build's column pass that file as `--kernel-config`, so a helper the
//! build leaves out (bpf_override_return without CONFIG_BPF_KPROBE_OVERRIDE, bpf_probe_write_user
//! under a forced lockdown) is refused as that build refuses it.
//!
//! - `live_build_config`: the running kernel's (`/proc/config.gz`, else
//!   `/boot/config-<release>`), kept like every column (`kernel_support/columns.rs`); where
//!   neither file exists it says so loudly and checks nothing.
//! - `guest_build_configs`: the Debian kernels `scripts/kernel-oracle` boots, from the
//!   configuration shipped in each image package (`~/.cache/bpfvet-kernels/<package>/config`),
//!   when the cache is there.

#[path = "kernel_support/mod.rs"]
mod kernel_support;

use std::io::Read as _;
use std::path::Path;

use bpfvet_analyzer::rules::kernel_build::KernelBuild;
use kernel_support::columns;

const TABLE: &str = "kernel-config";

/// The lines of `config` that set or unset an option bpfvet reads, under a header.
fn column(config: &str, from: &str) -> String {
    let mut out = format!(
        "# The options of this build's configuration that bpfvet reads, from {from}. Kept by \
         tests/kernel_build_column.rs.\n"
    );
    // In the order bpfvet lists them; an option the file omits (its dependencies unmet) is
    // written as not set, which is what its absence means.
    for o in KernelBuild::CONFIG_OPTIONS {
        let set = config
            .lines()
            .find(|l| l.strip_prefix(o).is_some_and(|rest| rest.starts_with('=')));
        match set {
            Some(line) => out.push_str(line),
            None => out.push_str(&format!("# {o} is not set")),
        }
        out.push('\n');
    }
    out
}

fn read(path: &Path) -> Option<String> {
    let bytes = std::fs::read(path).ok()?;
    if bytes.starts_with(&[0x1f, 0x8b]) {
        let mut text = String::new();
        flate2::read::GzDecoder::new(&bytes[..])
            .read_to_string(&mut text)
            .ok()?;
        Some(text)
    } else {
        String::from_utf8(bytes).ok()
    }
}

#[test]
fn live_build_config() {
    let release = columns::running_release();
    let boot = format!("/boot/config-{release}");
    let Some((text, from)) = ["/proc/config.gz", boot.as_str()]
        .into_iter()
        .find_map(|p| read(Path::new(p)).map(|t| (t, p)))
    else {
        columns::loud(&format!(
            "\n!!! live_build_config NOT RUN: neither /proc/config.gz nor {boot} can be read, \
             so this build's configuration is unknown\n"
        ));
        return;
    };
    KernelBuild::from_config(&text).expect("the running kernel's configuration parses");
    let from = if from.starts_with("/boot") {
        "/boot/config-<release>"
    } else {
        from
    };
    columns::check(TABLE, &column(&text, from));
}

#[test]
fn guest_build_configs() {
    let Some(home) = std::env::var_os("HOME") else {
        return;
    };
    let cache = Path::new(&home).join(".cache/bpfvet-kernels");
    let Ok(dir) = std::fs::read_dir(&cache) else {
        columns::loud(&format!(
            "\n!!! guest_build_configs NOT RUN: no {} (scripts/kernel-oracle fetches it)\n",
            cache.display()
        ));
        return;
    };
    let bless = std::env::var("BPFVET_BLESS").as_deref() == Ok("1");
    let mut seen = 0;
    for entry in dir.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(release) = name
            .strip_prefix("linux-image-")
            .and_then(|r| r.strip_suffix("-unsigned"))
        else {
            continue;
        };
        let Some(text) = read(&entry.path().join("config")) else {
            continue;
        };
        seen += 1;
        let got = column(&text, "the Debian image package's /boot/config-<release>");
        let path = columns::columns_dir()
            .join(release)
            .join(format!("{TABLE}.txt"));
        if bless {
            std::fs::create_dir_all(path.parent().expect("a directory")).expect("mkdir");
            std::fs::write(&path, &got).expect("write the column");
            continue;
        }
        let want = std::fs::read_to_string(&path).unwrap_or_default();
        assert_eq!(
            want,
            got,
            "{} differs from the package's configuration (bless with BPFVET_BLESS=1)",
            path.display()
        );
    }
    assert!(
        seen > 0,
        "{} holds no kernel image package",
        cache.display()
    );
}
