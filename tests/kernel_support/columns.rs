//! One recorded column per kernel build: what a live-kernel test saw, kept in
//! `snapshots/kernel/<release>/<table>.txt`, where `<release>` is `uname -r`.
//!
//! Builds of one release answer differently (a private stack given or not, another errno,
//! other state counts), so a single snapshot blessed on one build fails on every other.
//! Instead each build keeps its own column of kernel facts:
//! - on a build that has a column, the live answer must equal it exactly (the kernel is
//!   deterministic on one build, so a difference means the column, the corpus object or the
//!   harness changed);
//! - on a build that has none, the live answer is written beside where its column would be,
//!   as `<table>.txt.new`, for a developer to review and bless (`BPFVET_BLESS=1`, or a rename),
//!   and what differs from the recorded builds is printed. It is not read as a recorded
//!   column until then, so the tests that compare bpfvet with the recorded columns give the
//!   same answer on every machine.
//!
//! Only kernel facts go into a column; bpfvet is compared with the recorded columns by tests
//! that need no kernel, so a change to bpfvet never makes another build's column stale.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use super::root;

/// `snapshots/kernel`.
pub fn columns_dir() -> PathBuf {
    root().join("snapshots/kernel")
}

/// The running kernel's release, as `uname -r` prints it.
pub fn running_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_owned())
        .unwrap_or_else(|_| "unknown".to_owned())
}

/// Every recorded column of `table`, by build, oldest name first.
pub fn recorded(table: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Ok(rd) = std::fs::read_dir(columns_dir()) else {
        return out;
    };
    for entry in rd.flatten() {
        let path = entry.path().join(format!("{table}.txt"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            out.insert(entry.file_name().to_string_lossy().into_owned(), text);
        }
    }
    out
}

/// What [`check`] found.
pub enum Column {
    /// The running build's recorded column equals the live answer.
    Matches,
    /// The running build had no column; the live answer was written to `path` (a
    /// `.txt.new` file, or the column itself with `BPFVET_BLESS=1`).
    Written { path: PathBuf },
}

/// Compares the live answer `text` of table `table` with the running build's column.
///
/// Panics when the column exists and differs (`BPFVET_BLESS=1` rewrites it instead). When it
/// does not exist, writes it and prints, line by line, how it differs from each recorded build.
pub fn check(table: &str, text: &str) -> Column {
    let release = running_release();
    let dir = columns_dir().join(&release);
    let path = dir.join(format!("{table}.txt"));
    let bless = std::env::var("BPFVET_BLESS").as_deref() == Ok("1");
    if let (false, Ok(want)) = (bless, std::fs::read_to_string(&path)) {
        assert!(
            want == text,
            "{} no longer matches the live kernel of the same build (a kernel build is \
             deterministic, so the corpus, the harness or the build changed; review, then \
             bless with BPFVET_BLESS=1):\n{}",
            path.display(),
            line_diff(&want, text)
        );
        return Column::Matches;
    }
    let others = recorded(table);
    let path = if bless {
        path
    } else {
        path.with_extension("txt.new")
    };
    std::fs::create_dir_all(&dir).expect("create the build's column directory");
    std::fs::write(&path, text).expect("write the build's column");
    let mut note = format!(
        "{table}: kernel build {release} has no recorded column; wrote {} (review it, then \
         bless it with BPFVET_BLESS=1 or rename it to .txt, and commit it)\n",
        path.display()
    );
    for (build, want) in others.iter().filter(|(b, _)| **b != release) {
        let diff = line_diff(want, text);
        let _ = writeln!(
            note,
            "  against {build}: {}",
            if diff.is_empty() {
                "identical".to_owned()
            } else {
                format!("\n{diff}")
            }
        );
    }
    loud(&note);
    Column::Written { path }
}

/// The lines only in `want` (`-`) and only in `got` (`+`).
pub fn line_diff(want: &str, got: &str) -> String {
    let (w, g): (Vec<&str>, Vec<&str>) = (want.lines().collect(), got.lines().collect());
    let mut diff = String::new();
    for l in w.iter().filter(|l| !g.contains(l)) {
        let _ = writeln!(diff, "    - {l}");
    }
    for l in g.iter().filter(|l| !w.contains(l)) {
        let _ = writeln!(diff, "    + {l}");
    }
    diff
}

/// Writes past the test harness's output capture.
pub fn loud(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

/// A kernel's verdict word (`accepted`, `rejected`, `refused`) by (object, program).
pub type Verdicts = BTreeMap<(String, String), String>;

/// The verdict words of a `bpfvet kernel --format summary` column
/// (`OBJECT PROGRAM (TYPE): accepted|rejected|refused ...` lines).
pub fn verdicts(column: &str) -> Verdicts {
    column
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let (id, rest) = l.split_once(" (")?;
            let (object, program) = id.split_once(' ')?;
            let word = rest.split_once("): ")?.1.split([' ', '(']).next()?;
            Some(((object.to_owned(), program.to_owned()), word.to_owned()))
        })
        .collect()
}
