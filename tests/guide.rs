//! docs/guide.md says what a user will type and see; this test makes it true. Every command of
//! its ```console blocks runs here, in order, in one scratch directory (beside links to this
//! repository's corpus/, scripts/ and tests/, HOME pointing into it, the bpfvet under test
//! first on PATH), and its output must be the one the guide shows (a `...` line stands for any
//! lines; trailing spaces do not count). The install block is run by scripts/check-install,
//! whose `--dry-run` must list the same commands; the YAML examples must use only the inputs,
//! variables and hook ids the integration files define.

use std::path::{Path, PathBuf};
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fenced block of the guide: its info string and lines.
struct Block {
    info: String,
    lines: Vec<String>,
}

fn blocks() -> Vec<Block> {
    let text = std::fs::read_to_string(root().join("docs/guide.md")).expect("docs/guide.md");
    let mut out = Vec::new();
    let mut open: Option<Block> = None;
    for line in text.lines() {
        match (open.as_mut(), line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_owned(),
                    lines: Vec::new(),
                })
            }
            (Some(_), Some(_)) => out.extend(open.take()),
            (Some(b), None) => b.lines.push(line.to_owned()),
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "an unclosed code block in docs/guide.md");
    out
}

/// The `(command, expected output lines)` pairs of a console block.
fn commands(b: &Block) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for line in &b.lines {
        match line.strip_prefix("$ ") {
            Some(cmd) => out.push((cmd.to_owned(), Vec::new())),
            None => out
                .last_mut()
                .unwrap_or_else(|| panic!("output before any command: {line:?}"))
                .1
                .push(line.trim_end().to_owned()),
        }
    }
    out
}

/// Whether `got` is `want`, where a `...` line in `want` stands for any number of lines.
fn matches(want: &[String], got: &[&str]) -> bool {
    match want.split_first() {
        None => got.is_empty(),
        Some((w, rest)) if w == "..." => (0..=got.len()).any(|skip| matches(rest, &got[skip..])),
        Some((w, rest)) => got.first().is_some_and(|g| g == w) && matches(rest, &got[1..]),
    }
}

fn sandbox() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("bpfvet-guide-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join(".bin")).expect("sandbox");
    for link in ["corpus", "scripts", "tests"] {
        std::os::unix::fs::symlink(root().join(link), dir.join(link)).expect("link");
    }
    std::os::unix::fs::symlink(env!("CARGO_BIN_EXE_bpfvet"), dir.join(".bin/bpfvet"))
        .expect("link bpfvet");
    dir
}

fn run(cmd: &str, dir: &Path) -> String {
    let path = format!(
        "{}:{}",
        dir.join(".bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!("{{ {cmd}\n}} 2>&1"))
        .current_dir(dir)
        .env("PATH", path)
        .env("HOME", dir)
        .env_remove("GITHUB_ACTIONS")
        .env_remove("BPFVET")
        .output()
        .expect("run bash");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn every_console_command_prints_what_the_guide_shows() {
    let dir = sandbox();
    let mut ran = 0;
    for b in blocks().iter().filter(|b| b.info == "console") {
        for (cmd, want) in commands(b) {
            let got = run(&cmd, &dir);
            let lines: Vec<&str> = got.lines().map(str::trim_end).collect();
            assert!(
                matches(&want, &lines),
                "docs/guide.md: `$ {cmd}` printed:\n{got}\nthe guide shows:\n{}",
                want.join("\n")
            );
            ran += 1;
        }
    }
    assert!(
        ran >= 15,
        "only {ran} commands in the guide's console blocks"
    );
}

#[test]
fn the_install_block_is_what_scripts_check_install_runs() {
    let install: Vec<Block> = blocks()
        .into_iter()
        .filter(|b| b.info == "console install")
        .collect();
    assert_eq!(install.len(), 1, "one install block");
    let cmds: Vec<String> = commands(&install[0]).into_iter().map(|c| c.0).collect();
    assert!(cmds[0].starts_with("git clone "), "{cmds:?}");
    assert!(
        cmds.contains(&"cargo install --locked --path .".to_owned()),
        "{cmds:?}"
    );
    let o = Command::new("bash")
        .arg(root().join("scripts/check-install"))
        .arg("--dry-run")
        .output()
        .expect("run check-install");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let planned: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(planned, cmds[1..]);
}

/// The keys of the mapping under the line `header` (its more-indented lines), without values.
fn keys_under(lines: &[String], header: &str) -> Vec<String> {
    let indent = |l: &str| l.len() - l.trim_start().len();
    let at = lines
        .iter()
        .position(|l| l.trim() == header)
        .unwrap_or_else(|| panic!("no {header:?}"));
    let base = indent(&lines[at]);
    let child = indent(&lines[at + 1]);
    lines[at + 1..]
        .iter()
        .take_while(|l| indent(l) > base)
        .filter(|l| indent(l) == child)
        .filter_map(|l| l.trim().split_once(':').map(|(k, _)| k.to_owned()))
        .collect()
}

#[test]
fn the_yaml_examples_use_what_the_integration_files_define() {
    let yaml: Vec<Block> = blocks().into_iter().filter(|b| b.info == "yaml").collect();
    let find = |needle: &str| {
        yaml.iter()
            .find(|b| b.lines.iter().any(|l| l.contains(needle)))
            .unwrap_or_else(|| panic!("no YAML example with {needle:?}"))
    };
    let read = |p: &str| -> Vec<String> {
        std::fs::read_to_string(root().join(p))
            .expect(p)
            .lines()
            .map(str::to_owned)
            .collect()
    };
    // GitHub: every `with:` key is an input of action.yml, and `paths` (required) is given.
    let workflow = find("uses: bpfvet/bpfvet@main");
    let inputs = keys_under(&read("action.yml"), "inputs:");
    let with = keys_under(&workflow.lines, "with:");
    assert!(with.contains(&"paths".to_owned()), "{with:?}");
    for k in &with {
        assert!(
            inputs.contains(k),
            "the guide passes {k}, action.yml has {inputs:?}"
        );
    }
    // GitLab: the hidden job exists and the example sets only its variables.
    let gitlab = find("extends: .bpfvet");
    let template = read("ci/gitlab-bpfvet.yml");
    assert!(template.iter().any(|l| l == ".bpfvet:"));
    let defined = keys_under(&template, "variables:");
    for k in keys_under(&gitlab.lines, "variables:") {
        assert!(
            defined.contains(&k),
            "the guide sets {k}, the template has {defined:?}"
        );
    }
    // pre-commit: the hook id is the one .pre-commit-hooks.yaml defines.
    let precommit = find("hooks:");
    assert!(precommit.lines.iter().any(|l| l.trim() == "- id: bpfvet"));
    assert!(read(".pre-commit-hooks.yaml")
        .iter()
        .any(|l| l == "- id: bpfvet"));
}

#[test]
fn the_matcher_can_fail() {
    let want: Vec<String> = ["a", "...", "d"].iter().map(|s| s.to_string()).collect();
    assert!(matches(&want, &["a", "b", "c", "d"]));
    assert!(matches(&want, &["a", "d"]));
    assert!(!matches(&want, &["a", "b"]));
    assert!(!matches(&want, &["x", "d"]));
}
