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

/// The unprivileged comparison of `bpfvet check --unprivileged` verdicts (`ours`, from
/// [`super::check_verdicts`]) with the recorded unprivileged columns: a header line per build,
/// one line per program some build loaded (accepted or rejected), and the unsound accepts
/// (programs bpfvet accepts that a recorded build rejects).
pub fn unprivileged_table(
    ours: &BTreeMap<(String, String), (String, String)>,
    recorded: &[(String, Verdicts)],
) -> (String, String, Vec<String>) {
    let mut head = String::new();
    for (build, kernel) in recorded {
        let (mut k_acc, mut b_acc, mut k_rej, mut unsound) = (0, 0, 0, 0);
        for (key, word) in kernel {
            let accepts = ours.get(key).is_some_and(|(v, _)| v == "accept");
            match word.as_str() {
                "accepted" => (k_acc, b_acc) = (k_acc + 1, b_acc + usize::from(accepts)),
                "rejected" => (k_rej, unsound) = (k_rej + 1, unsound + usize::from(accepts)),
                _ => {}
            }
        }
        let _ = writeln!(
            head,
            "unprivileged, kernel {build}: bpfvet --unprivileged accepts {b_acc} of the {k_acc} programs the kernel accepts unprivileged and {unsound} of the {k_rej} it rejects"
        );
    }
    let mut keys: Vec<&(String, String)> = recorded
        .iter()
        .flat_map(|(_, k)| k.iter())
        .filter(|(_, w)| *w != "refused")
        .map(|(key, _)| key)
        .collect();
    keys.sort();
    keys.dedup();
    let mut table = String::new();
    let mut unsound_list = Vec::new();
    for key in keys {
        let kernel: Vec<String> = recorded
            .iter()
            .map(|(b, k)| format!("{b}={}", k.get(key).map_or("-", String::as_str)))
            .collect();
        let (verdict, why) = ours
            .get(key)
            .map_or(("-", ""), |(v, w)| (v.as_str(), w.as_str()));
        let unsound = verdict == "accept"
            && recorded
                .iter()
                .any(|(_, k)| k.get(key).is_some_and(|w| w == "rejected"));
        if unsound {
            unsound_list.push(format!("{} {}", key.0, key.1));
        }
        let _ = writeln!(
            table,
            "{} {}: kernel unprivileged {}, bpfvet --unprivileged {verdict}{}{}",
            key.0,
            key.1,
            kernel.join(" "),
            if why.is_empty() {
                String::new()
            } else {
                format!(" ({why})")
            },
            if unsound { " UNSOUND" } else { "" }
        );
    }
    (head, table, unsound_list)
}

/// The recorded column of `table` for the running kernel's release, else the newest recorded
/// one: (build, column text). Panics, naming `recorder` (the test that records the column),
/// when there is none.
pub fn column_for_running(table: &str, recorder: &str) -> (String, String) {
    let recorded = recorded(table);
    let release = running_release();
    let Some((build, column)) = recorded
        .get_key_value(&release)
        .or_else(|| recorded.iter().next_back())
    else {
        panic!(
            "no recorded kernel column snapshots/kernel/*/{table}.txt: run {recorder} on a \
             machine with bpf()"
        );
    };
    (build.clone(), column.clone())
}

/// One program's line of a `bpfvet kernel --format summary` column.
#[derive(Clone)]
pub struct KernelLine {
    /// `accepted`, `rejected`, `refused`, ...
    pub word: String,
    /// What follows the verdict's first `: ` (the reason), without the `[insns ...]` trailer.
    pub detail: String,
}

/// The `OBJECT PROGRAM (TYPE): VERDICT...` lines of a column, by (object, program).
pub fn kernel_lines(column: &str) -> BTreeMap<(String, String), KernelLine> {
    let mut out = BTreeMap::new();
    for l in column.lines().filter(|l| !l.starts_with('#')) {
        let Some((head, rest)) = l.split_once("): ") else {
            continue;
        };
        let mut it = head.splitn(3, ' ');
        let (Some(obj), Some(prog)) = (it.next(), it.next()) else {
            continue;
        };
        let rest = rest.split(" [insns ").next().unwrap_or(rest);
        let word = rest.split([' ', ':']).next().unwrap_or("").to_owned();
        let detail = rest
            .split_once(": ")
            .map_or(String::new(), |(_, d)| d.to_owned());
        out.insert(
            (obj.to_owned(), prog.to_owned()),
            KernelLine { word, detail },
        );
    }
    out
}

/// A list file of the project (`OBJECT PROGRAM: reason` per line, `#` comments), by
/// (object, program).
pub fn named_programs(file: &str) -> BTreeMap<(String, String), String> {
    std::fs::read_to_string(root().join(file))
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (key, why) = l.split_once(": ")?;
            let (obj, prog) = key.split_once(' ')?;
            Some(((obj.to_owned(), prog.to_owned()), why.to_owned()))
        })
        .collect()
}

/// A table the project keeps under `snapshots/`: written at once under `BPFVET_BLESS=1`,
/// otherwise compared by [`KeptTable::assert_unchanged`] (called after the test's own checks,
/// so that a failing check is reported before a table difference).
pub struct KeptTable {
    path: PathBuf,
    want: String,
    got: String,
    bless: bool,
}

pub fn keep_table(file: &str, got: String) -> KeptTable {
    let path = root().join(file);
    let bless = std::env::var("BPFVET_BLESS").as_deref() == Ok("1");
    let want = std::fs::read_to_string(&path).unwrap_or_default();
    if bless {
        std::fs::create_dir_all(path.parent().expect("a snapshot has a directory"))
            .expect("create the snapshot's directory");
        std::fs::write(&path, &got).expect("write the table");
    }
    KeptTable {
        path,
        want,
        got,
        bless,
    }
}

impl KeptTable {
    pub fn assert_unchanged(self) {
        if !self.bless {
            assert!(
                self.want == self.got,
                "{} changed (review, then bless with BPFVET_BLESS=1):\n{}",
                self.path.display(),
                line_diff(&self.want, &self.got)
            );
        }
    }
}
