//! The renderers (human, JSON, SARIF, GitHub) on one shared set of cases, each an insta
//! snapshot under `snapshots/diagnostics/render/<format>/<case>.snap`. The SARIF output is also
//! validated against the SARIF 2.1.0 JSON schema (`tests/data/sarif-schema-2.1.0.json`, the
//! OASIS schema as the serde-sarif crate ships it), and the JSON against the documented shape.

#[path = "diagnostics_support/mod.rs"]
mod support;

use support::{bpfvet, redact_counts, settings};

/// (case, arguments after `check`).
const CASES: &[(&str, &[&str])] = &[
    (
        "null_deref",
        &["corpus/c/reject/mapval/missing_null_check.bpf.o"],
    ),
    (
        "null_deref_no_source",
        &[
            "--no-source",
            "corpus/c/reject/mapval/missing_null_check.bpf.o",
        ],
    ),
    (
        "unbounded_index",
        &["corpus/c/reject/mapval/var_unbounded.bpf.o"],
    ),
    (
        "packet_bounds",
        &["corpus/c/reject/pkt/short_bounds_check.bpf.o"],
    ),
    (
        "reference_leak",
        &["corpus/c/reject/ref/ringbuf_leak.bpf.o"],
    ),
    (
        "clobbered_arg",
        &["corpus/c/reject/regs/clobbered_after_call.bpf.o"],
    ),
    (
        "undecodable",
        &["corpus/c/reject/cfg/invalid_register.bpf.o"],
    ),
    (
        "accepted_with_warning",
        &["corpus/c/loops/bounded_loops.bpf.o"],
    ),
    ("accepted", &["corpus/c/xdp/xdp_pass.bpf.o"]),
];

fn run(format: &str, args: &[&str]) -> (i32, String) {
    let mut all = vec!["check", "--color", "never", "--format", format];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = bpfvet(&all);
    assert!(
        stderr.is_empty(),
        "bpfvet {all:?} wrote to stderr: {stderr}"
    );
    (code, stdout)
}

/// The JSON report without its timing and exploration counters (see `redact_counts`).
fn json_without_timings(text: &str) -> serde_json::Value {
    let mut v: serde_json::Value = serde_json::from_str(text).expect("JSON output parses");
    for o in v["objects"].as_array_mut().expect("objects") {
        for p in o["programs"].as_array_mut().expect("programs") {
            p["stats"]
                .as_object_mut()
                .expect("stats")
                .remove("duration_us");
        }
    }
    v
}

#[test]
fn human() {
    settings("render/human").bind(|| {
        for (case, args) in CASES {
            let (code, out) = run("human", args);
            insta::assert_snapshot!(*case, format!("exit: {code}\n{}", redact_counts(&out)));
        }
    });
}

#[test]
fn json() {
    settings("render/json").bind(|| {
        for (case, args) in CASES {
            let (_, out) = run("json", args);
            let v = json_without_timings(&out);
            assert_eq!(v["version"], 1);
            for p in v["objects"][0]["programs"].as_array().expect("programs") {
                for f in p["findings"].as_array().expect("findings") {
                    for key in [
                        "code",
                        "severity",
                        "message",
                        "kernel_message",
                        "insn",
                        "instruction",
                        "labels",
                        "notes",
                        "path",
                    ] {
                        assert!(f.get(key).is_some(), "{case}: finding without {key}: {f}");
                    }
                }
            }
            insta::assert_snapshot!(*case, serde_json::to_string_pretty(&v).expect("serializes"));
        }
    });
}

#[test]
fn sarif_is_valid_and_stable() {
    let schema_text =
        std::fs::read_to_string(support::root().join("tests/data/sarif-schema-2.1.0.json"))
            .expect("schema");
    let schema: serde_json::Value = serde_json::from_str(&schema_text).expect("schema parses");
    let validator = jsonschema::validator_for(&schema).expect("schema compiles");
    settings("render/sarif").bind(|| {
        for (case, args) in CASES {
            let (_, out) = run("sarif", args);
            let v: serde_json::Value = serde_json::from_str(&out).expect("SARIF parses");
            let errors: Vec<String> = validator
                .iter_errors(&v)
                .map(|e| format!("{e} at {}", e.instance_path))
                .collect();
            assert!(
                errors.is_empty(),
                "{case}: SARIF does not validate:\n{}",
                errors.join("\n")
            );
            assert_eq!(v["version"], "2.1.0");
            let rules = v["runs"][0]["tool"]["driver"]["rules"]
                .as_array()
                .expect("rules");
            assert!(rules.len() >= bpfvet_analyzer::verifier::violation::Code::ALL.len());
            // The rules table is the same in every case: snapshot it once, and only the results per case.
            insta::assert_snapshot!(
                *case,
                serde_json::to_string_pretty(&v["runs"][0]["results"]).expect("serializes")
            );
        }
    });
}

#[test]
fn github() {
    settings("render/github").bind(|| {
        for (case, args) in CASES {
            let (_, out) = run("github", args);
            for line in out.lines() {
                assert!(
                    line.starts_with("::error ") || line.starts_with("::warning "),
                    "{case}: not a workflow command: {line}"
                );
            }
            insta::assert_snapshot!(*case, out);
        }
    });
}

#[test]
fn exit_codes() {
    assert_eq!(bpfvet(&["check", "corpus/c/xdp/xdp_pass.bpf.o"]).0, 0);
    assert_eq!(
        bpfvet(&["check", "corpus/c/reject/mapval/missing_null_check.bpf.o"]).0,
        1
    );
    assert_eq!(bpfvet(&["check", "does/not/exist.bpf.o"]).0, 2);
    assert_eq!(
        bpfvet(&["check", "corpus/c/loops/bounded_loops.bpf.o"]).0,
        0,
        "warnings do not fail by default"
    );
    assert_eq!(
        bpfvet(&[
            "check",
            "--deny",
            "warnings",
            "corpus/c/loops/bounded_loops.bpf.o"
        ])
        .0,
        1
    );
}

#[test]
fn trace_shows_the_failing_path_with_states() {
    let (code, out, _) = bpfvet(&[
        "check",
        "--color",
        "never",
        "--trace",
        "corpus/c/reject/pkt/short_bounds_check.bpf.o",
    ]);
    assert_eq!(code, 1);
    assert!(
        out.contains("trace of packet-out-of-bounds at insn 12:"),
        "{out}"
    );
    assert!(
        out.contains("if r3 > r2 goto +0x9  (falls through)"),
        "{out}"
    );
    assert!(out.contains("fails with: "), "{out}");
}
