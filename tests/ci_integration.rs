//! The CI integration files run here as their CI would run them: the command line of
//! action.yml's check step, of ci/gitlab-bpfvet.yml's job script and of .pre-commit-hooks.yaml's
//! entry is taken from the file itself and run through bash against corpus objects, and the
//! exit codes, the GitHub annotations, the SARIF (validated against the SARIF 2.1.0 schema) and
//! the GitLab Code Quality report are checked. All three call scripts/bpfvet-ci.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(root().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bpfvet-ci-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tmp dir");
    d
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// The lines of the YAML block scalar (`key: |`) or plain value that follows the first line
/// after `anchor` that starts with `key:`, without their indentation.
fn yaml_value(doc: &str, anchor: &str, key: &str) -> String {
    let lines: Vec<&str> = doc.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.trim() == anchor)
        .unwrap_or_else(|| panic!("no line {anchor:?}"));
    let (at, line) = lines[start..]
        .iter()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with(key))
        .unwrap_or_else(|| panic!("no {key:?} after {anchor:?}"));
    let value = line.trim_start()[key.len()..].trim();
    if value != "|" {
        return value.to_owned();
    }
    let indent = |l: &str| l.len() - l.trim_start().len();
    let key_indent = indent(line);
    lines[start + at + 1..]
        .iter()
        .take_while(|l| l.trim().is_empty() || indent(l) > key_indent)
        .map(|l| l.trim())
        .collect::<Vec<_>>()
        .join("\n")
}

/// Runs `script` with bash in `dir`, bpfvet being the binary under test.
fn bash(script: &str, dir: &Path, env: &[(&str, &str)]) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(script)
        .current_dir(dir)
        .env("BPFVET", env!("CARGO_BIN_EXE_bpfvet"))
        .env_remove("GITHUB_ACTIONS")
        .envs(env.iter().copied())
        .output()
        .expect("run bash")
}

fn validate_sarif(path: &Path) -> serde_json::Value {
    let schema: serde_json::Value =
        serde_json::from_str(&read("tests/data/sarif-schema-2.1.0.json")).expect("schema");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    let sarif: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("SARIF file"))
            .expect("SARIF parses");
    let errors: Vec<String> = validator
        .iter_errors(&sarif)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
    assert_eq!(sarif["version"], "2.1.0");
    sarif
}

/// The action's check step (`id: check`): its `run:` block, with the environment its `env:`
/// maps the inputs into.
fn action_check_step() -> String {
    let action = read("action.yml");
    // The inputs reach the shell only through `env:`, never pasted into the script text.
    let run = yaml_value(&action, "id: check", "run:");
    assert!(!run.contains("${{"), "expressions in the run block: {run}");
    assert!(
        run.contains("$GITHUB_ACTION_PATH/scripts/bpfvet-ci"),
        "{run}"
    );
    for (var, input) in [
        ("BPFVET_PATHS", "paths"),
        ("BPFVET_SARIF", "sarif-file"),
        ("BPFVET_JSON", "json-file"),
        ("BPFVET_BASELINE", "baseline"),
        ("BPFVET_FAIL_ON", "fail-on"),
        ("BPFVET_DENY_WARNINGS", "deny-warnings"),
    ] {
        assert_eq!(
            yaml_value(&action, "id: check", &format!("{var}:")),
            format!("${{{{ inputs.{input} }}}}")
        );
    }
    // The upload step sends the file the check step wrote.
    assert!(action.contains("uses: github/codeql-action/upload-sarif@v3"));
    assert_eq!(
        yaml_value(
            &action,
            "uses: github/codeql-action/upload-sarif@v3",
            "sarif_file:"
        ),
        "${{ inputs.sarif-file }}"
    );
    run
}

#[test]
fn the_github_action_annotates_writes_valid_sarif_and_fails_on_a_rejection() {
    let run = action_check_step();
    let dir = tmp("action");
    let sarif = dir.join("bpfvet.sarif");
    let json = dir.join("bpfvet.json");
    let (s, j) = (
        sarif.to_str().expect("utf-8"),
        json.to_str().expect("utf-8"),
    );
    let root = root();
    let env = |paths: &'static str| {
        vec![
            ("GITHUB_ACTION_PATH", root.to_str().expect("utf-8")),
            ("BPFVET_PATHS", paths),
            ("BPFVET_SARIF", s),
            ("BPFVET_JSON", j),
            ("BPFVET_BASELINE", ""),
            ("BPFVET_FAIL_ON", "verdict,insns+10%"),
            ("BPFVET_DENY_WARNINGS", "false"),
        ]
    };
    // Two patterns, one a glob the script expands (`**`), one a plain file.
    let o = bash(
        &run,
        &root,
        &env("corpus/c/xdp/**/*.bpf.o\ncorpus/c/reject/mapval/missing_null_check.bpf.o"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.lines().any(|l| l.starts_with(
            "::error file=corpus/c/reject/mapval/missing_null_check.bpf.c,line=21,col=5,\
title=bpfvet null-deref (deref_maybe_null)::r0 may be NULL here"
        )),
        "{out}"
    );
    assert_eq!(
        out.lines().filter(|l| l.starts_with("::")).count(),
        1,
        "{out}"
    );
    assert!(out.contains("programs: 15 accepted, 1 rejected"), "{out}");
    let doc = validate_sarif(&sarif);
    let results = doc["runs"][0]["results"].as_array().expect("results");
    assert_eq!(results.len(), 1, "{results:?}");
    assert_eq!(results[0]["ruleId"], "null-deref");
    let region = &results[0]["locations"][0]["physicalLocation"]["region"];
    assert_eq!(region["startLine"], 21, "{region}");
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&json).expect("json")).expect("parses");
    assert_eq!(report["objects"].as_array().expect("objects").len(), 14);

    // Accepted objects only: green, no annotation, a SARIF file with no results.
    let o = bash(&run, &root, &env("corpus/c/xdp"));
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    assert!(!text(&o.stdout).contains("::"), "{}", text(&o.stdout));
    let doc = validate_sarif(&sarif);
    assert_eq!(doc["runs"][0]["results"], serde_json::json!([]));

    // A glob that matches nothing is an input error, not a pass.
    let o = bash(&run, &root, &env("corpus/c/nothing-here/**/*.bpf.o"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stdout));
    assert!(
        text(&o.stderr).contains("matches no file"),
        "{}",
        text(&o.stderr)
    );
}

/// A build directory with the corpus build of bounded_loops, its JSON report as the baseline,
/// then the rebuild with the bigger loop bound in its place (tests/data/grow).
fn grown_build(name: &str) -> PathBuf {
    let dir = tmp(name);
    std::fs::create_dir_all(dir.join("build")).expect("build dir");
    let obj = dir.join("build/bounded_loops.bpf.o");
    std::fs::copy(root().join("corpus/c/loops/bounded_loops.bpf.o"), &obj).expect("copy");
    let o = Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(&dir)
        .args(["check", "--format", "json", "build"])
        .output()
        .expect("bpfvet");
    std::fs::write(dir.join("baseline.json"), &o.stdout).expect("baseline");
    std::fs::copy(root().join("tests/data/grow/bounded_loops.bpf.o"), &obj).expect("copy");
    dir
}

#[test]
fn the_github_action_flags_growth_against_a_baseline() {
    let run = action_check_step();
    let dir = grown_build("action-baseline");
    let root = root();
    let env = [
        ("GITHUB_ACTION_PATH", root.to_str().expect("utf-8")),
        ("BPFVET_PATHS", "build"),
        ("BPFVET_SARIF", "bpfvet.sarif"),
        ("BPFVET_JSON", "bpfvet.json"),
        ("BPFVET_BASELINE", "baseline.json"),
        ("BPFVET_FAIL_ON", "verdict,insns+10%"),
        ("BPFVET_DENY_WARNINGS", "false"),
    ];
    let o = bash(&run, &dir, &env);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains(
            "::error file=build/bounded_loops.bpf.o,title=bpfvet compare (loop_nested)::\
loop_nested: insns+10%25: 100 -> 350 (baseline baseline.json)\n"
        ),
        "{out}"
    );
    // The program is accepted: its warning is annotated, the comparison alone fails the job.
    assert!(out.contains("3 programs: 3 accepted, 0 rejected"), "{out}");
    validate_sarif(&dir.join("bpfvet.sarif"));
    // The same gate with a looser threshold passes; with --deny-warnings the warning fails it.
    let looser = [("BPFVET_FAIL_ON", "verdict,insns+300%")];
    let o = bash(&run, &dir, &[&env[..], &looser[..]].concat());
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stdout));
    let deny = [
        ("BPFVET_FAIL_ON", "verdict,insns+300%"),
        ("BPFVET_DENY_WARNINGS", "true"),
    ];
    let o = bash(&run, &dir, &[&env[..], &deny[..]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stdout));
}

#[test]
fn the_gitlab_job_writes_a_code_quality_report_and_fails_on_growth() {
    let template = read("ci/gitlab-bpfvet.yml");
    let script: Vec<String> = template
        .lines()
        .skip_while(|l| l.trim() != "script:")
        .skip(1)
        .take_while(|l| l.trim_start().starts_with("- "))
        .map(|l| l.trim_start()[2..].to_owned())
        .collect();
    assert_eq!(script.len(), 1, "{script:?}");
    let script = &script[0];
    assert!(
        script.contains("\"$BPFVET_HOME/scripts/bpfvet-ci\""),
        "{script}"
    );
    // The report GitLab reads is the one the script writes.
    let report = yaml_value(&template, "reports:", "codequality:");
    assert!(
        script.contains(&format!("--codequality {report}")),
        "{script}"
    );

    let dir = grown_build("gitlab");
    let root = root();
    let env = [
        ("BPFVET_HOME", root.to_str().expect("utf-8")),
        ("BPFVET_PATHS", "build/**/*.bpf.o"),
        ("BPFVET_BASELINE", "baseline.json"),
        ("BPFVET_FAIL_ON", "verdict,insns+10%"),
    ];
    let o = bash(script, &dir, &env);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let out = text(&o.stdout);
    assert!(
        out.contains("build/bounded_loops.bpf.o loop_nested: accept, processed 100 -> 350"),
        "{out}"
    );
    assert!(!out.contains("::error"), "GitHub commands on GitLab: {out}");
    let cq: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join(&report)).expect("code quality report"),
    )
    .expect("parses");
    let issues = cq.as_array().expect("an array of issues");
    assert_eq!(issues.len(), 1, "{cq}");
    assert_eq!(issues[0]["check_name"], "bpfvet/loop-unrolled");
    assert_eq!(issues[0]["severity"], "minor");
    assert_eq!(issues[0]["location"]["lines"]["begin"], 45);
    assert_eq!(issues[0]["fingerprint"].as_str().map(str::len), Some(16));
    validate_sarif(&dir.join("bpfvet.sarif"));
    // Without a baseline the accepted build passes.
    let o = bash(script, &dir, &[("BPFVET_HOME", env[0].1), env[1]]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
}

#[test]
fn the_pre_commit_hook_checks_the_files_it_is_given() {
    let hooks = read(".pre-commit-hooks.yaml");
    let entry = yaml_value(&hooks, "- id: bpfvet", "entry:");
    assert!(entry.starts_with("scripts/bpfvet-ci "), "{entry}");
    assert_eq!(yaml_value(&hooks, "- id: bpfvet", "language:"), "script");
    assert_eq!(yaml_value(&hooks, "- id: bpfvet", "files:"), "\\.bpf\\.o$");
    // pre-commit runs the entry from the hook repository with the staged files appended.
    let run = |files: &[&str]| bash(&format!("{entry} {}", files.join(" ")), &root(), &[]);
    let o = run(&[
        "corpus/c/xdp/xdp_pass.bpf.o",
        "corpus/c/tc/tc_classify_mark.bpf.o",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o.stderr));
    let o = run(&["corpus/c/reject/ref/ringbuf_leak.bpf.o"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("error["), "{}", text(&o.stdout));
    assert!(!text(&o.stdout).contains("::error"), "{}", text(&o.stdout));
}

#[test]
fn the_script_refuses_bad_usage_with_exit_2() {
    let script = root().join("scripts/bpfvet-ci");
    let s = script.to_str().expect("utf-8");
    for args in ["--bogus x.o", "", "--annotate gitlab x.o", "--sarif"] {
        let o = bash(&format!("{s} {args}"), &root(), &[]);
        assert_eq!(
            o.status.code(),
            Some(2),
            "bpfvet-ci {args}: {}",
            text(&o.stderr)
        );
        assert!(
            text(&o.stderr).contains("bpfvet-ci: "),
            "{}",
            text(&o.stderr)
        );
    }
    let o = bash(
        &format!("{s} corpus/c/xdp"),
        &root(),
        &[("BPFVET", "/nonexistent/bpfvet")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("no bpfvet at"),
        "{}",
        text(&o.stderr)
    );
}
