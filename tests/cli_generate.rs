//! What an installed bpfvet tells about itself: `--version` names the newest kernel profile,
//! and the completion scripts and man pages are generated from the same clap definitions as
//! `--help` (so they name the real options), and are well-formed.

use std::process::{Command, Output};

fn bpfvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .args(args)
        .output()
        .expect("run bpfvet")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn version_names_the_crate_version_and_the_newest_kernel_profile() {
    let newest = bpfvet_analyzer::verifier::profiles::PROFILES
        .last()
        .expect("profiles");
    let o = bpfvet(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert_eq!(
        stdout(&o),
        format!(
            "bpfvet {} (newest kernel profile: {newest})\n",
            env!("CARGO_PKG_VERSION")
        )
    );
}

#[test]
fn bash_completions_parse_and_offer_subcommands_and_options() {
    let o = bpfvet(&["completions", "bash"]);
    assert_eq!(o.status.code(), Some(0));
    let script = stdout(&o);
    for word in ["check", "compare", "completions", "--fail-on", "--format"] {
        assert!(script.contains(word), "bash completions lack {word}");
    }
    // `bash -n` parses without running: a broken script fails here.
    let dir = std::env::temp_dir().join(format!("bpfvet-compl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp");
    let file = dir.join("bpfvet.bash");
    std::fs::write(&file, &script).expect("write");
    let parsed = Command::new("bash")
        .arg("-n")
        .arg(&file)
        .output()
        .expect("run bash");
    assert!(
        parsed.status.success(),
        "{}",
        String::from_utf8_lossy(&parsed.stderr)
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let o = bpfvet(&["completions", shell]);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(stdout(&o).contains("compare"), "{shell}");
    }
    assert_eq!(bpfvet(&["completions", "tcsh"]).status.code(), Some(2));
}

#[test]
fn man_pages_name_every_subcommand_and_option() {
    let o = bpfvet(&["man"]);
    assert_eq!(o.status.code(), Some(0));
    let page = stdout(&o);
    assert!(page.contains(".TH bpfvet 1"), "{page}");
    for sub in ["check", "explain", "compare", "completions", "man"] {
        assert!(
            page.contains(&format!("bpfvet\\-{sub}(1)")),
            "bpfvet(1) does not list {sub}"
        );
    }
    let o = bpfvet(&["man", "check"]);
    assert_eq!(o.status.code(), Some(0));
    let page = stdout(&o);
    assert!(page.contains(".TH bpfvet-check 1"), "{page}");
    assert!(page.contains("\\-\\-deny"), "{page}");
    let o = bpfvet(&["man", "nonesuch"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("commands: check"));
}
