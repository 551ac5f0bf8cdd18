//! `bpfvet cfg --format svg` renders the control-flow graph through Graphviz (installed by
//! scripts/setup); without `dot` the command must say so and exit 2.

use std::process::Command;

#[test]
fn svg_of_a_rejected_program_marks_the_failing_path() {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .current_dir(root)
        .args([
            "cfg",
            "corpus/c/reject/mapval/missing_null_check.bpf.o",
            "--program",
            "deref_maybe_null",
            "--format",
            "svg",
        ])
        .output()
        .expect("run bpfvet");
    let has_dot = Command::new("dot")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_dot {
        assert_eq!(
            out.status.code(),
            Some(2),
            "without Graphviz the command must fail with exit 2"
        );
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("dot"),
            "the error must name the missing `dot`: {err}"
        );
        assert!(
            std::env::var("BPFVET_ALLOW_NO_DOT").is_ok(),
            "Graphviz `dot` is not installed (run scripts/setup), so the SVG was not checked"
        );
        return;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = String::from_utf8_lossy(&out.stdout);
    assert!(
        svg.contains("<svg"),
        "not an SVG: {}",
        &svg[..svg.len().min(200)]
    );
    // The failing path is drawn in red and the source line labels a block.
    assert!(svg.contains("red"), "no highlighted path in the SVG");
    assert!(
        svg.contains("v += 1") || svg.contains("v \\+= 1") || svg.contains("+= 1"),
        "no source line in the block labels"
    );
}
