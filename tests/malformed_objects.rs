//! Malformed variants of real-world objects (truncated, flipped header and section-table
//! bytes, an executable with a cut and a whole embedded object), made by
//! `scripts/realworld-fuzz-seeds` into `fuzz/seeds/load/` (also the fuzz target's seeds): the
//! loader never panics on them, and `bpfvet info`, `disasm` and `check` answer each with a
//! verdict or one clear error line and exit 2, never a panic.

use std::path::PathBuf;
use std::process::Command;

fn seeds() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/load");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("fuzz/seeds/load")
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("rw-"))
        })
        .collect();
    out.sort();
    assert!(
        out.len() >= 40,
        "the seeds are missing: {} found",
        out.len()
    );
    out
}

#[test]
fn the_loader_never_panics_on_malformed_real_world_objects() {
    for p in seeds() {
        let bytes = std::fs::read(&p).expect("seed");
        let strict = std::panic::catch_unwind(|| bpfvet_analyzer::elf::load(&bytes).is_ok());
        let lenient =
            std::panic::catch_unwind(|| bpfvet_analyzer::elf::load_lenient(&bytes).is_ok());
        let embedded =
            std::panic::catch_unwind(|| bpfvet_analyzer::elf::embedded::find_embedded(&bytes));
        assert!(
            strict.is_ok() && lenient.is_ok() && embedded.is_ok(),
            "{} panics the loader",
            p.display()
        );
    }
}

#[test]
fn the_cli_answers_every_malformed_object_clearly() {
    let mut errors = 0;
    for p in seeds() {
        for cmd in ["info", "disasm", "check"] {
            let out = Command::new(env!("CARGO_BIN_EXE_bpfvet"))
                .arg(cmd)
                .arg(&p)
                .output()
                .expect("run bpfvet");
            let err = String::from_utf8_lossy(&out.stderr);
            let code = out.status.code();
            assert!(
                matches!(code, Some(0..=2)) && !err.contains("panicked"),
                "bpfvet {cmd} {}: exit {code:?}\n{err}",
                p.display()
            );
            if code == Some(2) {
                errors += 1;
                let lines: Vec<&str> = err.lines().collect();
                assert!(
                    lines.len() == 1 && lines[0].starts_with("bpfvet: error: "),
                    "bpfvet {cmd} {}: not one clear error line:\n{err}",
                    p.display()
                );
            }
        }
    }
    // Most variants are broken beyond loading: the test would mean little otherwise.
    assert!(errors > 60, "only {errors} refusals");
}

#[test]
fn the_whole_embedded_copy_is_found_after_a_cut_one() {
    let p =
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("fuzz/seeds/load/rw-host-cut-then-whole");
    let out = Command::new(env!("CARGO_BIN_EXE_bpfvet"))
        .arg("info")
        .arg(&p)
        .output()
        .expect("run bpfvet");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.contains(": 1 BPF objects embedded"), "{text}");
}
